import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { join, relative } from "node:path";

const ROOT = new URL("../", import.meta.url).pathname;

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith(".") || e.name === "node_modules" || e.name === "dist") continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) tsFiles(p, out);
    else if (e.name.endsWith(".ts")) out.push(p);
  }
  return out;
}

describe("telemetry boundaries (style.md §7.14)", () => {
  it("only telemetry/codec.ts imports cbor-x", () => {
    const offenders = tsFiles(ROOT)
      .filter((f) => /from\s+["']cbor-x/.test(fs.readFileSync(f, "utf8")))
      .map((f) => relative(ROOT, f));
    assert.deepEqual(offenders, ["telemetry/codec.ts"]);
  });
  it("telemetry/, collector/ and the uplink never touch Bun.* or Deno.* (runtime/ does)", () => {
    const mine = tsFiles(ROOT).filter((f) => /^(telemetry|collector)\/|^agent\/(spool|uplink)/.test(relative(ROOT, f)) && !f.endsWith("boundaries_test.ts"));
    const offenders = mine.filter((f) => /\b(Bun|Deno)\.[a-z]/.test(fs.readFileSync(f, "utf8").replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, ""))).map((f) => relative(ROOT, f));
    assert.deepEqual(offenders, []);
  });
});
