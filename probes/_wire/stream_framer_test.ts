import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { StreamFramer } from "./stream_framer.ts";

// A toy protocol: one length octet (the whole frame, itself included), then the payload; 0 is garbage.
const toyLength = (b: Uint8Array) => {
  if (b[0] === 0) throw new SyntaxError("Cannot frame toy message: length 0");
  return b.length >= b[0] ? b[0] : undefined;
};
const frames = [new Uint8Array([3, 0xaa, 0xbb]), new Uint8Array([1]), new Uint8Array([4, 1, 2, 3])];
const stream = Uint8Array.from(frames.flatMap((f) => [...f]));

describe("StreamFramer", () => {
  it("yields the same frames whole, merged, or one byte at a time (nats.js byByteTest)", () => {
    assert.deepEqual(new StreamFramer(toyLength).push(stream), frames);
    const f = new StreamFramer(toyLength);
    const out: Uint8Array[] = [];
    for (const b of stream) out.push(...f.push(new Uint8Array([b])));
    assert.deepEqual(out, frames);
    assert.equal(f.pending, 0);
  });
  it("holds an incomplete frame and says how much", () => {
    const f = new StreamFramer(toyLength);
    assert.deepEqual(f.push(new Uint8Array([4, 1])), []);
    assert.equal(f.pending, 2);
    assert.deepEqual(f.push(new Uint8Array([2, 3, 3])), [new Uint8Array([4, 1, 2, 3])]);
    assert.equal(f.pending, 1);
  });
  it("drops what skip() names in front of each frame", () => {
    const fillers = (b: Uint8Array) => {
      let n = 0;
      while (b[n] === 0xff) n++;
      return n;
    };
    const f = new StreamFramer(toyLength, fillers);
    assert.deepEqual(f.push(new Uint8Array([0xff, 0xff, 1, 0xff, 2, 9])), [new Uint8Array([1]), new Uint8Array([2, 9])]);
  });
  it("returns copies, not views of the caller's buffer", () => {
    const chunk = new Uint8Array([1, 1]);
    const [a] = new StreamFramer(toyLength).push(chunk);
    chunk[0] = 99;
    assert.equal(a[0], 1);
  });
  it("passes the frame-length function's error on", () => {
    assert.throws(() => new StreamFramer(toyLength).push(new Uint8Array([1, 0])), /length 0/);
  });
});
