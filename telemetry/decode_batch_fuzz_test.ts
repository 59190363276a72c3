/**
 * Property-based fuzzing of the collector's ingest decoder (decodeBatch) with hostile shapes:
 * arbitrary bytes, valid batches with bytes flipped or hostile headers spliced in, tags
 * (including cbor-x's shared values 28/29 that once turned 30 KB into 351 MB), deep nesting and
 * huge declared lengths. 12,000 inputs in all. The property: decodeBatch throws only DecodeError,
 * and what it returns is no larger than its input allows.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { DecodeError } from "../common/decode_error.ts";
import { decodeBatch, encodeBatch } from "./codec.ts";
import type { TelemetryRecord } from "./record.ts";

const T0 = 1_764_000_000_000;
let slowestMs = 0;

/** Decode; only DecodeError may escape; a success holds at most a bounded number of values per input byte. */
function decodeOnlyDecodeError(bytes: Uint8Array): void {
  const t = performance.now();
  try {
    const b = decodeBatch(bytes);
    // No tags, so no shared values: every record took bytes of its own, and so did every string
    // (an index into the string table costs at least one byte per use).
    assert.ok(b.records.length <= bytes.length, "records ≤ bytes");
    let chars = 0;
    for (const r of b.records) chars += JSON.stringify(r).length;
    assert.ok(chars <= 64 * bytes.length + 1024 * b.records.length, `decoded ${chars} chars from ${bytes.length} bytes`);
  } catch (e) {
    if (!(e instanceof DecodeError)) throw new Error(`decodeBatch threw ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
  } finally {
    slowestMs = Math.max(slowestMs, performance.now() - t);
  }
}

const rec = (i: number, facts: boolean): TelemetryRecord =>
  ({ seq: i + 1, type: "probe", at: T0 + i * 1000, probe: `p${i % 7}`, kind: "pfcp", ok: i % 3 !== 0, latencyUs: 1500 + i, ...(i % 3 === 0 ? { failure: { kind: "timeout", message: "no answer" } } : {}), ...(facts ? { facts: { recoveryTimeStamp: 3900000000 + (i % 2), peer: "smf-1" } } : {}) }) as TelemetryRecord;
const validBatch = fc.tuple(fc.integer({ min: 1, max: 60 }), fc.boolean()).map(([n, facts]) => encodeBatch({ agentId: "upf-1", bootId: "b1", records: Array.from({ length: n }, (_, i) => rec(i, facts)) }));

/** CBOR heads a hostile sender would splice in (RFC 8949 §3). */
const hostileHead = fc.oneof(
  fc.constantFrom(
    [0xd8, 0x1c], // tag 28: shareable
    [0xd8, 0x1d, 0x00], // tag 29: shared reference 0
    [0xd8, 0x69], // tag 105: cbor-x record definition
    [0xd9, 0xe0, 0x00], // tag 57344
    [0x9f], [0xbf], [0x5f], [0x7f], [0xff], // indefinite lengths and break
    [0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // array of 2^64-1
    [0x5b, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00], // byte string of 4 GiB
    [0xba, 0x7f, 0xff, 0xff, 0xff], // map of 2^31-1 pairs
    [0x1c], [0x3d], [0xfc], // reserved additional information
  ),
  fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 24, max: 27 }), fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 8, maxLength: 8 }))
    .map(([major, ai, arg]) => [(major << 5) | ai, ...arg.slice(0, 2 ** (ai - 24))]),
);

/** A batch whose facts object is shared by tag 28 and referenced `refs` times by tag 29. */
const sharedRefs = fc.integer({ min: 1, max: 5000 }).map((refs) => {
  const head = [0x87, 0x01, 0x65, ...new TextEncoder().encode("upf-1"), 0x62, 0x62, 0x31, 0x01, 0x00, 0x80];
  const recs: number[] = [0x99, (refs + 1) >> 8, (refs + 1) & 0xff];
  const facts = [0x88, 0x01, 0x00, 0x61, 0x70, 0x61, 0x6b, 0x01, 0x00]; // [1, 0, "p", "k", 1, 0, …]
  recs.push(0xd8, 0x1c, ...facts, 0xf6);
  for (let i = 0; i < refs; i++) recs.push(0xd8, 0x1d, 0x00);
  return new Uint8Array([...head, ...recs]);
});

describe("decodeBatch() fuzzing (fast-check, 12,000 inputs)", () => {
  it("arbitrary bytes: 3,000 inputs", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 4096 }), (b) => decodeOnlyDecodeError(b)), { numRuns: 3000 });
  });
  it("valid batches with bytes flipped, cut or hostile heads spliced in: 4,000 inputs", () => {
    fc.assert(fc.property(validBatch, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }))), fc.nat(), hostileHead, fc.boolean(), (bytes, flips, at, head, cut) => {
      const b = Uint8Array.from(bytes);
      for (const [pos, v] of flips) b[pos % b.length] = v;
      const p = at % (b.length + 1);
      const spliced = new Uint8Array([...b.subarray(0, p), ...head, ...(cut ? [] : b.subarray(p))]);
      decodeOnlyDecodeError(b);
      decodeOnlyDecodeError(spliced);
    }), { numRuns: 4000 });
  });
  it("shared references (tags 28/29), up to 5,000 per batch: 2,000 inputs, all refused", () => {
    fc.assert(fc.property(sharedRefs, (b) => {
      assert.throws(() => decodeBatch(b), (e: Error) => e instanceof DecodeError && /CBOR tag 28/.test(e.message));
    }), { numRuns: 2000 });
  });
  it("deep nesting and huge declared lengths: 3,000 inputs", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 0x80, max: 0xbb }), hostileHead, (depth, head, tail) => {
      const b = new Uint8Array(depth + tail.length);
      b.fill(head & 0xe0 | 1, 0, depth);
      b.set(tail, depth);
      decodeOnlyDecodeError(b);
    }), { numRuns: 3000 });
  });
  it("no input took long (the 30 KB shared-value batch took 1.6 s before the scan)", () => {
    console.log(`decode_batch_fuzz: slowest input ${slowestMs.toFixed(1)} ms; rss ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`);
    // A generous bound for a loaded CI machine: the point is "not seconds", not a benchmark.
    assert.ok(slowestMs < 500, `slowest input took ${slowestMs} ms`);
  });
});
