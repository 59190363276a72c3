import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { restoreJit } from "./jit_policy.ts";

describe("restoreJit()", () => {
  it("runs on either runtime without throwing (Deno has no JIT policy to undo)", () => {
    assert.doesNotThrow(() => restoreJit());
  });

  it("on Bun, lets a hot function reach the optimizing tier that a policy of 10,000 keeps it from", { skip: !(globalThis as { Bun?: unknown }).Bun }, () => {
    // bun:jsc numberOfDFGCompiles counts a function's compilations by the optimizing JIT.
    const script = (restore: boolean) => `
      import { numberOfDFGCompiles } from "bun:jsc";
      import { restoreJit } from ${JSON.stringify(new URL("./jit_policy.ts", import.meta.url).pathname)};
      Bun.unsafe.setJITPolicy(10000);
      ${restore ? "restoreJit();" : ""}
      function hot(x) { return (x * 31 + 7) % 1009; }
      let s = 0;
      for (let i = 0; i < 300_000; i++) s += hot(i);
      console.log(numberOfDFGCompiles(hot), s > 0);`;
    const run = (restore: boolean) => {
      const r = spawnSync(process.execPath, ["-e", script(restore)], { encoding: "utf8", timeout: 30_000 });
      assert.equal(r.status, 0, r.stderr);
      return Number(r.stdout.trim().split(" ")[0]);
    };
    assert.equal(run(false), 0, "no optimizing compile under the policy of 10,000");
    assert.ok(run(true) > 0, "optimizing compiles after restoreJit()");
  });
});
