import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { violations } from "../../scripts/check_boundaries.ts";

const root = new URL("../../", import.meta.url).pathname;

describe("project boundaries", () => {
  it("keeps Bun.*/Deno.* in runtime/ and cbor-x in telemetry/codec.ts", () => {
    assert.deepEqual(violations(), []);
  });
  it("type-checks under deno check (the same TypeScript both runtimes strip)", () => {
    execFileSync(`${root}node_modules/.bin/deno`, ["check", "cli/main.ts"], { cwd: root, stdio: "pipe", timeout: 120_000 });
  });
});
