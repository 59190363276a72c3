import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "./config.ts";
import { duplicateKeyProblems, readConfigFile, readConfigFileFast } from "./load_config.ts";
import { nativeYamlParser } from "../runtime/native_yaml.ts";

const dir = mkdtempSync(join(tmpdir(), "ep-load-"));
const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe("readConfigFileFast()", () => {
  it("gives the same document as the strict parser", async () => {
    const p = write("a.yaml", "agent: { id: n1, labels: { region: north } }\nprobes:\n  - name: a\n    kind: tcp\n    target: \"127.0.0.1:1\"\n    interval: 5s\n");
    const fast = await readConfigFileFast(p);
    assert.deepEqual(fast.doc, await readConfigFile(p));
    assert.equal(fast.fast, nativeYamlParser() !== undefined);
  });
  it("finds duplicate keys afterwards, which the strict parser refuses at once", async () => {
    const p = write("dup.yaml", "probes:\n  - { name: a, kind: tcp, target: x, interval: 1s, interval: 2s }\n");
    const fast = await readConfigFileFast(p).catch((e) => e);
    if (fast instanceof ConfigError) {
      // No native parser on this runtime: the strict parser already refused it.
      assert.match(fast.problems[0], /Map keys must be unique/);
    } else {
      assert.match((await duplicateKeyProblems(fast, p))[0], /line 2, column \d+: Map keys must be unique/);
    }
    await assert.rejects(readConfigFile(p), (e) => e instanceof ConfigError && /unique/.test(e.problems[0]));
  });
  it("still names the line of a syntax error", async () => {
    const p = write("bad.yaml", "probes:\n  - name: a\n   kind: x\n");
    await assert.rejects(readConfigFileFast(p), (e) => e instanceof ConfigError && /line 3/.test(e.message));
  });
});
