import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { encode } from "cborg";
import { decodeBatch } from "./codec.ts";
import { DecodeError } from "../common/decode_error.ts";
import { recordBodySchema } from "./record.ts";

/** A v1 batch around hand-made probe tuples (cborg: an encoder that is not ours). */
const batchOf = (records: unknown[], strings: string[] = ["n4", "pfcp", "k"]) => encode([1, "upf-1", "b1", 1, 1_700_000_000_000, strings, records]);

describe("decodeBatch(): probe records checked without the schema", () => {
  it("admits only what the record schema admits", () => {
    const value = fc.oneof(fc.string(), fc.boolean(), fc.double(), fc.integer(), fc.constant(null), fc.constant({}), fc.constant([]));
    fc.assert(fc.property(
      fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constant(0)),
      fc.oneof(fc.integer({ min: -2, max: 3_000_000 }), fc.double(), fc.constant("1")),
      fc.integer({ min: -1, max: 12 }),
      fc.oneof(fc.constant(null), fc.constant(true), fc.array(fc.oneof(fc.constant(2), value), { maxLength: 4 })),
      fc.oneof(fc.constant(0), fc.constant(""), fc.constant(5)),
      (dt, latency, status, facts, probeRef) => {
        let decoded;
        try {
          decoded = decodeBatch(batchOf([[1, dt, probeRef, 1, latency, status, facts]], ["n4", "pfcp", "k"]));
        } catch (e) {
          assert.ok(e instanceof DecodeError, String(e));
          return;
        }
        const { seq: _seq, ...body } = decoded.records[0];
        assert.ok(recordBodySchema.safeParse(body).success, JSON.stringify(body));
      },
    ), { numRuns: 2000 });
  });

  it("refuses a negative or fractional latency, an empty probe name and a fact that is not a scalar", () => {
    for (const rec of [[1, 0, 0, 1, -1, 0], [1, 0, 0, 1, 1.5, 0], [1, 0, "", 1, 10, 0], [1, 0, 0, 1, 10, 0, [2, { a: 1 }]], [1, 0, 0, 1, 10, 0, [2, Infinity]]]) {
      assert.throws(() => decodeBatch(batchOf([rec])), DecodeError, JSON.stringify(rec));
    }
    const ok = decodeBatch(batchOf([[1, 0, 0, 1, 10, 1, [2, 7], "m"], [1, 5, 0, 1, 12, 0, true]], ["n4", "pfcp", "k", "lost"]));
    assert.deepEqual(ok.records, [
      { seq: 1, type: "probe", at: 1_700_000_000_000, probe: "n4", kind: "pfcp", ok: false, latencyUs: 10, failure: { kind: "timeout", message: "m" }, facts: { k: 7 } },
      { seq: 2, type: "probe", at: 1_700_000_000_005, probe: "n4", kind: "pfcp", ok: true, latencyUs: 12, facts: { k: 7 } },
    ]);
  });
});
