import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { roundMs } from "./round_ms.ts";

describe("roundMs()", () => {
  it("keeps three decimals: milliseconds to the microsecond", () => {
    assert.equal(roundMs(1.23456), 1.235);
    assert.equal(roundMs(0.0004), 0);
    assert.equal(roundMs(12), 12);
  });
});
