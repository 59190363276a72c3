import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeProbeBatch } from "./batch_fast_decode.ts";
import { DECODE_BATCH_LIMITS, decodeBatch, decodeBatchGeneral, encodeBatch } from "./codec.ts";
import type { TelemetryRecord } from "./record.ts";
import { newStringIntern } from "./string_intern.ts";

const T0 = 1_764_000_000_000;
const failureKinds = ["timeout", "unreachable", "refused", "malformed", "rejected", "local"] as const;

/** Mostly what the one-pass decoder takes, now and then what it leaves to the general path. */
const rare = <T, U>(common: fc.Arbitrary<T>, odd: fc.Arbitrary<U>) => fc.oneof({ arbitrary: common, weight: 60 }, { arbitrary: odd, weight: 1 });

/** Probe results as agents send them: facts that repeat or change, failures with or without text. */
const probeRecords = fc.array(
  fc.record({
    probe: fc.constantFrom("n4", "s1-mme", "gtpu.upf-2", "x"),
    kind: fc.constantFrom("pfcp", "sctp", "gtpu", ""),
    dt: fc.integer({ min: -5000, max: 70_000 }),
    latencyUs: rare(fc.integer({ min: 0, max: 2 ** 32 + 5 }), fc.constantFrom(2 ** 53 - 1, 2 ** 53)),
    failure: fc.option(fc.record({ kind: fc.constantFrom(...failureKinds), message: fc.option(rare(fc.constantFrom("no answer", "", "x".repeat(256)), fc.constantFrom("é", "x".repeat(257))), { nil: undefined }), reason: fc.option(rare(fc.constant("ECONNREFUSED"), fc.constant("é")), { nil: undefined }) }, { requiredKeys: ["kind"] }), { nil: undefined }),
    facts: fc.option(fc.dictionary(fc.constantFrom("recoveryTimeStamp", "peer", "up", "cause"), rare(fc.oneof(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.boolean(), fc.constantFrom("smf-1", "")), fc.oneof(fc.double(), fc.constant("é")))), { nil: undefined }),
  }),
  { minLength: 1, maxLength: 40 },
).map((rs) => {
  let at = T0;
  return rs.map((r, i) => {
    at += r.dt;
    const rec: Record<string, unknown> = { seq: 100 + i, type: "probe", at, probe: r.probe, kind: r.kind, ok: !r.failure, latencyUs: r.latencyUs };
    if (r.failure) rec.failure = Object.fromEntries(Object.entries(r.failure).filter(([, v]) => v !== undefined));
    if (r.facts) rec.facts = r.facts;
    return rec as unknown as TelemetryRecord;
  });
});

function outcome(f: () => unknown): unknown {
  try {
    return { value: f() };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** Where the one-pass decoder answers, the general one answers the same. */
function agrees(bytes: Uint8Array): boolean {
  const fast = decodeProbeBatch(bytes, DECODE_BATCH_LIMITS);
  if (!fast) return false;
  assert.deepEqual(fast, decodeBatchGeneral(bytes));
  return true;
}

describe("decodeProbeBatch()", () => {
  it("decodes a batch of probe results to exactly what the general decoder returns (property)", () => {
    let used = 0;
    fc.assert(fc.property(probeRecords, (records) => {
      const bytes = encodeBatch({ agentId: "upf-17.r1", bootId: "b-1", records });
      if (agrees(bytes)) used++;
      // decodeBatch answers (or refuses) the same either way.
      assert.deepEqual(outcome(() => decodeBatch(bytes)), outcome(() => decodeBatchGeneral(bytes)));
    }), { numRuns: 400 });
    assert.ok(used > 100, `the one-pass decoder took ${used} of 400 batches`);
  });

  it("with a string intern shared across batches (a collector's), still exactly what the general decoder returns (property)", () => {
    // A small table with colliding hashes: strings held before must never leak into another batch.
    for (const intern of [newStringIntern(), newStringIntern(4, 256, 0x7)]) {
      let used = 0;
      fc.assert(fc.property(probeRecords, (records) => {
        const bytes = encodeBatch({ agentId: "upf-17.r1", bootId: "b-1", records });
        const fast = decodeProbeBatch(bytes, DECODE_BATCH_LIMITS, intern);
        if (fast) {
          used++;
          assert.deepEqual(fast, decodeBatchGeneral(bytes));
        }
        assert.deepEqual(outcome(() => decodeBatch(bytes, DECODE_BATCH_LIMITS, intern)), outcome(() => decodeBatchGeneral(bytes)));
      }), { numRuns: 300 });
      assert.ok(used > 50, `the one-pass decoder took ${used} of 300 batches`);
    }
  });

  it("the simulator's kind of batch (ASCII names, integer facts) takes the one-pass path", () => {
    const records = Array.from({ length: 36 }, (_, i) => ({
      seq: i + 1, type: "probe", at: T0 + i * 100, probe: `p${i % 30}`, kind: "pfcp", ok: i % 9 !== 0, latencyUs: 800 + i,
      ...(i % 9 === 0 ? { failure: { kind: "timeout", message: "no answer" } } : {}), ...(i % 5 === 0 ? { facts: { recoveryTimeStamp: 3_900_000_000 } } : {}),
    }) as TelemetryRecord);
    assert.ok(agrees(encodeBatch({ agentId: "sim-1", bootId: "b1", records })));
  });

  it("never answers where the general decoder refuses or answers otherwise: mutated bytes (property)", () => {
    const valid = probeRecords.map((records) => encodeBatch({ agentId: "upf-1", bootId: "b1", records }));
    fc.assert(fc.property(valid, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.integer({ min: -3, max: 3 }), (bytes, flips, cut) => {
      const b = bytes.slice(0, cut < 0 ? bytes.length + cut : bytes.length + cut);
      if (cut > 0) b.set(bytes);
      for (const [at, v] of flips) b[at % b.length] = v;
      let fast;
      try {
        fast = decodeProbeBatch(b, DECODE_BATCH_LIMITS);
      } catch (e) {
        assert.fail(`the one-pass decoder threw ${(e as Error).message}`);
      }
      if (fast) assert.deepEqual(fast, decodeBatchGeneral(b));
    }), { numRuns: 3000 });
  });

  it("leaves other record types, tags, floats and limits to the general path", () => {
    const start = encodeBatch({ agentId: "a", bootId: "b", records: [{ seq: 1, type: "agent-start", at: T0, version: "1", labels: {} }] });
    assert.equal(decodeProbeBatch(start, DECODE_BATCH_LIMITS), undefined);
    const probes = encodeBatch({ agentId: "a", bootId: "b", records: Array.from({ length: 3 }, (_, i) => ({ seq: i + 1, type: "probe", at: T0, probe: "p", kind: "k", ok: true, latencyUs: 1 }) as TelemetryRecord) });
    assert.ok(decodeProbeBatch(probes, DECODE_BATCH_LIMITS));
    assert.equal(decodeProbeBatch(probes, { ...DECODE_BATCH_LIMITS, maxRecords: 2 }), undefined, "over the record limit: the general path refuses it");
    assert.throws(() => decodeBatch(probes, { ...DECODE_BATCH_LIMITS, maxRecords: 2 }), /3 records exceed the limit of 2/);
    assert.equal(decodeProbeBatch(probes, { ...DECODE_BATCH_LIMITS, maxLength: 2 }), undefined);
    const tagged = new Uint8Array([0xd8, 0x1c, ...probes]);
    assert.equal(decodeProbeBatch(tagged, DECODE_BATCH_LIMITS), undefined);
    assert.equal(decodeProbeBatch(new Uint8Array([...probes, 0]), DECODE_BATCH_LIMITS), undefined, "a byte after the batch");
  });
});
