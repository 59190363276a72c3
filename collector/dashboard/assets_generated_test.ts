import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("../../", import.meta.url).pathname;

describe("collector/dashboard/assets.generated.ts", () => {
  it("is what scripts/build_dashboard.ts makes from the current sources (run npm run build:dashboard)", () => {
    const dir = mkdtempSync(join(tmpdir(), "edgeprobe-dash-"));
    try {
      const out = join(dir, "assets.generated.ts");
      // Bun.build is the bundler, so the rebuild runs under Bun whichever runtime runs this test.
      execFileSync(join(root, "node_modules/.bin/bun"), ["scripts/build_dashboard.ts", "--out", out], { cwd: root, stdio: "pipe", timeout: 60_000 });
      const hashes = (t: string) => [...t.matchAll(/hash: "([0-9a-f]{16})"/g)].map((m) => m[1]);
      const fresh = readFileSync(out, "utf8");
      const committed = readFileSync(join(root, "collector/dashboard/assets.generated.ts"), "utf8");
      assert.equal(hashes(fresh).length, 2);
      assert.deepEqual(hashes(committed), hashes(fresh), "the committed bundle is stale: run `npm run build:dashboard` and commit it");
      assert.equal(committed, fresh);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
