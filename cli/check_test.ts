import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkCommand } from "./check.ts";
import type { CommandIO } from "./io.ts";

function capture(env: Record<string, string> = {}) {
  let out = "", err = "";
  const io: CommandIO = { out: (t) => void (out += t), err: (t) => void (err += t), env, onSignal: () => () => {} };
  return { io, out: () => out, err: () => err };
}
const dir = mkdtempSync(join(tmpdir(), "ep-check-"));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe("edgeprobe check", () => {
  it("accepts the shipped example agent config with exit 0", async () => {
    const c = capture();
    assert.equal(await checkCommand(["--config", new URL("../examples/loopback.yaml", import.meta.url).pathname], c.io), 0);
    assert.match(c.out(), /valid agent config for edge-demo: 2 probe\(s\)/);
  });
  it("prints every problem with its path and exits 2", async () => {
    const c = capture();
    const p = file("bad.yaml", "probes:\n  - { name: a, kind: tcp, target: '127.0.0.1:1', interval: 5 sec, timout: 1s }\n");
    assert.equal(await checkCommand(["--config", p], c.io), 2);
    assert.match(c.err(), /probes\[0\]\.timout: unknown key/);
    assert.match(c.err(), /probes\[0\]\.interval: expected a duration such as 5s, got "5 sec"/);
  });
  it("recognises and validates a collector config", async () => {
    const ok = capture({ TOKEN: "0123456789abcdef0123" });
    const p = file("collector.yaml", "listen: 127.0.0.1:9400\nauth: { sharedToken: '${TOKEN}' }\nstore: { path: /tmp/x.db }\n");
    assert.equal(await checkCommand(["--config", p], ok.io), 0);
    assert.match(ok.out(), /valid collector config: listen 127\.0\.0\.1:9400, store sqlite \/tmp\/x\.db/);
    const bad = capture({ TOKEN: "short" });
    assert.equal(await checkCommand(["--config", p], bad.io), 2);
    assert.match(bad.err(), /auth\.sharedToken/);
    assert.doesNotMatch(bad.err(), /short/, "a secret must not be echoed");
  });
  it("names a missing file", async () => {
    const c = capture();
    assert.equal(await checkCommand(["--config", join(dir, "nope.yaml")], c.io), 2);
    assert.match(c.err(), /nope\.yaml[\s\S]*ENOENT/);
  });
});
