/** sipsak (Debian) as an independent client against our SIP reflector, over UDP and TCP. */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { sipReflector } from "../../probes/sip/mod.ts";
import { nodeNet } from "../../runtime/node_net.ts";
import type { ReflectorHandle } from "../../probes/types.ts";

const env = { net: nodeNet, now: () => Date.now(), log: () => {} };

function sipsak(args: string[]) {
  return spawnSync("sipsak", ["-vv", ...args], { encoding: "utf8", timeout: 10_000 });
}

describe("sipsak against `reflect sip`", () => {
  let ok: ReflectorHandle, busy: ReflectorHandle;
  before(async () => {
    ok = await sipReflector.start({ listen: "127.0.0.1:21070", extra: {} }, env);
    busy = await sipReflector.start({ listen: "127.0.0.1:21071", extra: { code: "503", retryAfter: "9" } }, env);
  });
  after(async () => {
    await ok?.close();
    await busy?.close();
  });

  for (const transport of ["udp", "tcp"]) {
    it(`gets 200 OK with Allow/Accept/Supported over ${transport}`, async () => {
      // spawnSync blocks this thread, and the reflector runs on it: run sipsak asynchronously instead.
      const r = await sipsakAsync(["-s", "sip:127.0.0.1:21070", "-E", transport]);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /SIP\/2\.0 200 OK/);
      assert.match(r.out, /\r?\nAllow: OPTIONS\r?\n/);
      assert.match(r.out, /\r?\nAccept: application\/sdp\r?\n/);
      assert.match(r.out, /\r?\nSupported: ?\r?\n/);
      assert.match(r.out, /;received=127\.0\.0\.1/);
    });
  }
  it("gets 503 with Retry-After and exits non-zero", async () => {
    const r = await sipsakAsync(["-s", "sip:127.0.0.1:21071"]);
    assert.notEqual(r.code, 0);
    assert.match(r.out, /SIP\/2\.0 503 Service Unavailable/);
    assert.match(r.out, /\r?\nRetry-After: 9\r?\n/);
  });
  it("is installed", () => {
    assert.match(sipsak(["-V"]).stdout + sipsak(["-V"]).stderr, /sipsak 0\.9/);
  });
});

async function sipsakAsync(args: string[]): Promise<{ code: number | null; out: string }> {
  const { spawn } = await import("node:child_process");
  return new Promise((resolve) => {
    const c = spawn("sipsak", ["-vv", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    c.stdout.on("data", (d) => (out += d));
    c.stderr.on("data", (d) => (out += d));
    const t = setTimeout(() => c.pid && process.kill(c.pid, "SIGKILL"), 10_000);
    c.once("exit", (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
  });
}
