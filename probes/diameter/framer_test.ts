import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { DiameterFramer, diameterFrameLength } from "./framer.ts";
import { fromHex, toHex } from "../_wire/hex.ts";
import golden from "./testdata/freediameter.json" with { type: "json" };

const frames = golden.messages.map((m) => m.hex);
const stream = fromHex(frames.join(""));

describe("DiameterFramer", () => {
  it("frames freeDiameter's messages fed one byte at a time", () => {
    const f = new DiameterFramer();
    const out: string[] = [];
    for (const b of stream) out.push(...f.push(new Uint8Array([b])).map(toHex));
    assert.deepEqual(out, frames);
    assert.equal(f.pending, 0);
  });
  it("splits messages merged into one read", () => {
    assert.deepEqual(new DiameterFramer().push(stream).map(toHex), frames);
  });
  it("frames identically however the stream is cut (property)", () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 30 }), (cuts) => {
      const f = new DiameterFramer();
      const out: string[] = [];
      let prev = 0;
      for (const p of [...[...new Set(cuts)].sort((a, b) => a - b), stream.length]) {
        out.push(...f.push(stream.subarray(prev, p)).map(toHex));
        prev = p;
      }
      assert.deepEqual(out, frames);
    }));
  });
});

describe("diameterFrameLength()", () => {
  it("waits for the length field and the whole message", () => {
    assert.equal(diameterFrameLength(fromHex("0100")), undefined);
    assert.equal(diameterFrameLength(fromHex(frames[2]).subarray(0, 30)), undefined);
    assert.equal(diameterFrameLength(fromHex(frames[2])), 88);
  });
  it("rejects a stream that is not Diameter version 1", () => {
    assert.throws(() => diameterFrameLength(fromHex("16030100")), /version 22/);
  });
  it("rejects impossible lengths", () => {
    assert.throws(() => diameterFrameLength(fromHex("01000010")), /Message Length 16/);
    assert.throws(() => diameterFrameLength(fromHex("01000019")), /Message Length 25/);
    assert.throws(() => diameterFrameLength(fromHex("01ffff00")), /Message Length/);
  });
});
