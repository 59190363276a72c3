/**
 * `edgeprobe collector` as a process: SIGHUP reloads tokens and users, a broken config on SIGHUP
 * keeps the running one, and a changed listen address is named as needing a restart. Port 30110.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Child, eventually, startChild } from "../_util/process.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const BUN = join(ROOT, "node_modules/.bin/bun");
const PORT = 30110;
const URL_ = `http://127.0.0.1:${PORT}`;
const AGENT = "agent-token-0123456789abcdef";

describe("collector SIGHUP", () => {
  let dir: string;
  let cfg: string;
  let child: Child;
  const write = (apiTokens: Record<string, string>, extra: Record<string, unknown> = {}) =>
    writeFileSync(cfg, JSON.stringify({
      listen: `127.0.0.1:${PORT}`,
      auth: { sharedToken: AGENT, apiTokens: Object.fromEntries(Object.entries(apiTokens).map(([n, t]) => [n, { token: t }])) },
      store: { path: join(dir, "c.db") },
      ...extra,
    }));
  const status = async (token: string) => (await fetch(`${URL_}/api/v1/fleet`, { headers: { authorization: `Bearer ${token}` } })).status;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "ep-sighup-"));
    cfg = join(dir, "collector.json");
    write({ old: "old-viewer-token-0123456789" });
    child = startChild(BUN, ["cli/main.ts", "collector", "--config", cfg], { cwd: ROOT });
    await child.waitFor(/collector listening on/, 15_000);
  });
  after(async () => {
    await child.stop("SIGTERM", 3000);
    rmSync(dir, { recursive: true, force: true });
  });

  it("takes new API tokens on SIGHUP and drops the old ones", async () => {
    assert.equal(await status("old-viewer-token-0123456789"), 200);
    write({ new: "new-viewer-token-0123456789" });
    child.proc.kill("SIGHUP");
    await child.waitFor(/collector: config reloaded/, 5000);
    assert.equal(await status("new-viewer-token-0123456789"), 200);
    assert.equal(await status("old-viewer-token-0123456789"), 401);
  });

  it("keeps running with its config when the new file is broken, and says why", async () => {
    writeFileSync(cfg, "listen: [this is not");
    child.proc.kill("SIGHUP");
    await child.waitFor(/cannot reload the config; the running config stays/, 5000);
    assert.equal(await status("new-viewer-token-0123456789"), 200);
    assert.equal(child.proc.exitCode, null);
  });

  it("names what needs a restart (the listen address) and applies the rest", async () => {
    write({ third: "third-viewer-token-0123456789" }, { listen: "127.0.0.1:30111" });
    child.proc.kill("SIGHUP");
    await child.waitFor(/take effect only after a restart.*listen/, 5000);
    await eventually(async () => (await status("third-viewer-token-0123456789")) === 200, 3000);
    assert.equal(child.proc.exitCode, null, "alive after three SIGHUPs");
  });
});
