import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { concatBytes } from "./bytes.ts";

describe("concatBytes()", () => {
  it("joins chunks into a new array, summing the size when not given", () => {
    const a = new Uint8Array([1, 2]), b = new Uint8Array([3]);
    assert.deepEqual(concatBytes([a, b]), new Uint8Array([1, 2, 3]));
    assert.deepEqual(concatBytes([a, b], 3), new Uint8Array([1, 2, 3]));
    const one = concatBytes([a]);
    assert.notEqual(one.buffer, a.buffer, "a copy even for one chunk");
    assert.deepEqual(concatBytes([]), new Uint8Array(0));
  });
});
