import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SequenceSpace } from "./sequence_space.ts";

describe("SequenceSpace.take()", () => {
  it("wraps from max to min (GTPv2-C: 0x7FFFFF → 1, top bit never set)", () => {
    const s = new SequenceSpace(1, 0x7fffff, 0x7ffffe);
    assert.deepEqual([s.take(new Set()), s.take(new Set()), s.take(new Set())], [0x7ffffe, 0x7fffff, 1]);
  });
  it("skips numbers still outstanding", () => {
    const s = new SequenceSpace(1, 5, 2);
    assert.equal(s.take(new Set([2, 3])), 4);
  });
  it("starts at a random point inside the space", () => {
    for (let i = 0; i < 100; i++) {
      const n = new SequenceSpace(1, 0xffff).take(new Set());
      assert.ok(n >= 1 && n <= 0xffff);
    }
  });
  it("refuses when every number is outstanding", () => {
    assert.throws(() => new SequenceSpace(1, 2, 1).take(new Set([1, 2])), RangeError);
  });
});
