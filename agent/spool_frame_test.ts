import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import { decodeSegmentHeader, encodeFrame, encodeSegmentHeader, FRAME_HEAD, MAX_RECORD_BYTES, parseSegmentName, scanFrames, segmentName } from "./spool_frame.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), o += p.length);
  return out;
};

describe("encodeFrame()", () => {
  it("writes length, crc32 (zlib's, over seq + payload), seq and payload big-endian", () => {
    const f = encodeFrame(258, enc("ab"));
    assert.deepEqual([...f.subarray(0, 4)], [0, 0, 0, 2]);
    assert.deepEqual([...f.subarray(8, 16)], [0, 0, 0, 0, 0, 0, 1, 2]);
    assert.deepEqual([...f.subarray(16)], [0x61, 0x62]);
    const crc = new DataView(f.buffer).getUint32(4);
    assert.equal(crc, crc32(Buffer.from([0, 0, 0, 0, 0, 0, 1, 2, 0x61, 0x62])));
  });
});

describe("scanFrames()", () => {
  it("reads back consecutive frames with their offsets", () => {
    const buf = concat(encodeFrame(1, enc("one")), encodeFrame(2, enc("")), encodeFrame(3, enc("three")));
    const s = scanFrames(buf);
    assert.equal(s.why, undefined);
    assert.equal(s.goodEnd, buf.length);
    assert.deepEqual(s.frames.map((f) => [f.seq, f.offset, new TextDecoder().decode(f.payload)]), [[1, 0, "one"], [2, 19, ""], [3, 35, "three"]]);
  });

  it("stops at a torn head, a torn body, a crc mismatch and an impossible length, keeping what came before", () => {
    const a = encodeFrame(1, enc("aaaa"));
    const b = encodeFrame(2, enc("bbbb"));
    const cases: [string, Uint8Array, RegExp][] = [
      ["torn head", concat(a, b.subarray(0, 5)), /torn frame head at 20/],
      ["torn body", concat(a, b.subarray(0, FRAME_HEAD + 1)), /torn frame at 20/],
      ["crc", concat(a, Uint8Array.from(b, (x, i) => (i === b.length - 1 ? x ^ 1 : x))), /crc mismatch at 20/],
      ["4 GB length", concat(a, Uint8Array.of(0xff, 0xff, 0xff, 0xff, ...b.subarray(4))), /frame length 4294967295 at 20 is impossible/],
      ["just past the limit", concat(a, (() => {
        const x = b.slice();
        new DataView(x.buffer).setUint32(0, MAX_RECORD_BYTES + 1);
        return x;
      })()), /impossible/],
    ];
    for (const [name, buf, why] of cases) {
      const s = scanFrames(buf);
      assert.equal(s.goodEnd, a.length, name);
      assert.deepEqual(s.frames.map((f) => f.seq), [1], name);
      assert.match(s.why ?? "", why, name);
    }
  });

  it("an empty buffer is zero frames and nothing to cut", () => {
    assert.deepEqual(scanFrames(new Uint8Array()), { frames: [], goodEnd: 0 });
  });
});

describe("segment header and names", () => {
  it("round-trips the stream identity and refuses anything else", () => {
    const h = scanFrames(encodeSegmentHeader({ agentId: "upf-17", bootId: "b1" })).frames[0];
    assert.deepEqual(decodeSegmentHeader(h), { agentId: "upf-17", bootId: "b1" });
    assert.equal(decodeSegmentHeader(undefined), undefined);
    assert.equal(decodeSegmentHeader(scanFrames(encodeFrame(1, enc("{}"))).frames[0]), undefined, "seq must be 0");
    assert.equal(decodeSegmentHeader(scanFrames(encodeFrame(0, enc("not json"))).frames[0]), undefined);
    assert.equal(decodeSegmentHeader(scanFrames(encodeFrame(0, enc('{"agentId":1,"bootId":"b"}'))).frames[0]), undefined);
  });

  it("names sort in segment order and parse back", () => {
    assert.equal(segmentName(12), "seg-000000000012.log");
    assert.equal(parseSegmentName(segmentName(987654321)), 987654321);
    assert.equal(parseSegmentName("ack.json"), undefined);
    assert.equal(parseSegmentName("seg-1.log"), undefined);
  });
});
