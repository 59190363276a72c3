import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { join, relative } from "node:path";
import { ackKey, encodeToken, stateKey } from "./jetstream_store.ts";

const ROOT = new URL("../", import.meta.url).pathname;

describe("encodeToken()", () => {
  it("keeps letters, digits, - and _ and escapes every other UTF-8 byte as =XX", () => {
    assert.equal(encodeToken("upf-17_a"), "upf-17_a");
    assert.equal(encodeToken("a.b c"), "a=2Eb=20c");
    assert.equal(encodeToken("*>"), "=2A=3E");
    assert.equal(encodeToken("é"), "=C3=A9");
    assert.equal(encodeToken("a=b"), "a=3Db", "the escape character itself is escaped, so the mapping is one to one");
    assert.equal(encodeToken(""), "=");
  });
  it("gives NATS subject tokens and KV keys (ADR-8 key charset)", () => {
    for (const s of ["north.pole", "x y", "a/b", "ümlaut", "*", ">", "$SYS", "=", "a..b"]) {
      const t = encodeToken(s);
      assert.match(t, /^[-_=A-Za-z0-9]+$/, `${s} -> ${t}`);
    }
    assert.equal(ackKey("upf.17", "b1"), "ack.upf=2E17.b1");
    assert.equal(stateKey("upf-17", "smf n4"), "state.upf-17.smf=20n4");
  });
  it("distinct inputs give distinct tokens", () => {
    const inputs = ["a.b", "a=2Eb", "a b", "a_b", "a-b", "", "=", "=3D"];
    assert.equal(new Set(inputs.map(encodeToken)).size, inputs.length);
  });
});

describe("NATS boundary", () => {
  // The NATS client is loaded only when the config asks for JetStream: by the store and by the
  // alarm list's shared bucket (collector/alarms/mod.ts imports its repo lazily).
  it("only collector/jetstream_store.ts and collector/alarms/jetstream_repo.ts (plus tests/nats and bench) import the NATS client", () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        if (e.name.startsWith(".") || e.name === "node_modules" || e.name === "dist") continue;
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith(".ts")) files.push(relative(ROOT, p));
      }
    };
    walk(ROOT);
    const offenders = files.filter((f) => /from\s+["']@nats-io\//.test(fs.readFileSync(join(ROOT, f), "utf8")))
      .filter((f) => f !== "collector/jetstream_store.ts" && f !== "collector/alarms/jetstream_repo.ts" && !f.startsWith("tests/nats/"));
    assert.deepEqual(offenders, []);
  });
});
