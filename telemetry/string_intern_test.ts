import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { newStringIntern } from "./string_intern.ts";

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe("newStringIntern()", () => {
  it("gives back the string of the bytes, whatever was held before (property, colliding hashes forced)", () => {
    for (const mask of [0xffffffff, 0x3, 0]) {
      const intern = newStringIntern(8, 256, mask);
      fc.assert(fc.property(fc.array(fc.string({ unit: fc.integer({ min: 0, max: 127 }).map((c) => String.fromCharCode(c)), maxLength: 40 }), { maxLength: 30 }), (xs) => {
        for (const x of xs) {
          // In the middle of a larger buffer, as the decoder reads it.
          const b = new Uint8Array([1, 2, ...ascii(x), 3]);
          assert.equal(intern.get(b, 2, 2 + x.length), x);
        }
      }));
    }
  });

  it("holds at most `max` strings and none longer than `maxChars`", () => {
    const intern = newStringIntern(100, 8);
    for (let i = 0; i < 1000; i++) {
      const s = `name-${i}`;
      assert.equal(intern.get(ascii(s), 0, s.length), s);
      assert.ok(intern.size <= 100, `size ${intern.size}`);
    }
    const before = intern.size;
    assert.equal(intern.get(ascii("a-long-probe-name"), 0, 17), "a-long-probe-name");
    assert.equal(intern.size, before, "a string past maxChars is not kept");
  });
});
