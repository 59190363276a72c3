import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { probeKinds } from "./mod.ts";

describe("the probe kind contract", () => {
  it("runs for every registered kind (probes/<kind>/contract_test.ts calls probeKindContract)", () => {
    for (const name of Object.keys(probeKinds)) {
      const file = new URL(`./${name}/contract_test.ts`, import.meta.url);
      assert.ok(existsSync(file), `probes/${name}/contract_test.ts is missing`);
      assert.match(readFileSync(file, "utf8"), /probeKindContract\(\{/, `probes/${name}/contract_test.ts runs the kit`);
    }
  });
});
