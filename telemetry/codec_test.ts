import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { decode as cborgDecode } from "cborg";
import fc from "fast-check";
import { decodeBatch, decodeRecord, encodeBatch, encodeRecord, WireVersionError } from "./codec.ts";
import type { Batch, RecordBody, TelemetryRecord } from "./record.ts";
import { DecodeError } from "../common/decode_error.ts";

interface Vector { name: string; source: string; wire: unknown; hex: string; expected?: Batch; mustFail?: string }
const golden = JSON.parse(readFileSync(new URL("./testdata/batches.json", import.meta.url), "utf8")) as {
  vectors: Vector[];
  mustFail: Vector[];
};
const fromHex = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16));
const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

// cborg's default decoder returns plain arrays, objects, numbers: the generic structure.
const generic = (hex: string) => cborgDecode(fromHex(hex), { useMaps: false });

describe("telemetry golden vectors", () => {
  for (const v of golden.vectors) {
    it(`decodeBatch() reads "${v.name}"`, () => {
      assert.ok(v.source.length > 0);
      assert.deepEqual(decodeBatch(fromHex(v.hex)), v.expected);
    });
    it(`encodeBatch() writes the frozen bytes of "${v.name}"`, () => {
      assert.equal(toHex(encodeBatch(v.expected!)), v.hex);
    });
    it(`cborg (independent decoder) reads "${v.name}" as the documented wire structure`, () => {
      const g = generic(v.hex) as unknown[];
      assert.deepEqual(g, v.wire);
      assert.equal(g[0], 1, "version element");
      assert.equal(g.length, 7);
      assert.ok(Array.isArray(g[5]) && Array.isArray(g[6]));
    });
  }
  for (const v of golden.mustFail) {
    it(`decodeBatch() rejects "${v.name}"`, () => {
      assert.throws(() => decodeBatch(fromHex(v.hex)), (e: Error) => {
        assert.ok(e instanceof DecodeError, `expected DecodeError, got ${e}`);
        assert.match(e.message, /^Cannot decode telemetry/);
        assert.ok(e.message.includes(v.mustFail!), `"${e.message}" should mention "${v.mustFail}"`);
        return true;
      });
    });
  }
  it("decodeBatch() reports an unknown version as WireVersionError", () => {
    const v = golden.mustFail.find((x) => x.name.startsWith("unknown wire version"))!;
    assert.throws(() => decodeBatch(fromHex(v.hex)), WireVersionError);
  });
});

const T0 = 1764000000000;
// fast-check builds null-prototype objects; compare as plain JSON values.
const plain = (v: unknown) => JSON.parse(JSON.stringify(v));
function probeBatch(n: number, facts: boolean): Batch {
  const records: TelemetryRecord[] = [];
  let at = T0;
  for (let i = 0; i < n; i++) {
    at += 50 + (i % 7);
    records.push({
      seq: 100 + i, type: "probe", at, probe: `probe-${i % 10}`, kind: "pfcp", ok: true, latencyUs: 900 + ((i * 37) % 4000),
      ...(facts ? { facts: { recoveryTimeStamp: 3900000000 + (i % 10) } } : {}),
    });
  }
  return { agentId: "upf-17", bootId: "6f1c2b9e8d7a4c31", records };
}

describe("telemetry size goal", () => {
  it("a probe record costs at most 24 bytes inside a 500-record batch (with facts)", () => {
    const bytes = encodeBatch(probeBatch(500, true));
    assert.ok(bytes.length / 500 <= 24, `${bytes.length / 500} B per record`);
  });
  it("a probe record without facts costs at most 12 bytes inside a 500-record batch", () => {
    const bytes = encodeBatch(probeBatch(500, false));
    assert.ok(bytes.length / 500 <= 12, `${bytes.length / 500} B per record`);
  });
});

describe("encodeBatch()", () => {
  it("refuses non-contiguous seqs", () => {
    const b = probeBatch(3, false);
    const recs = [b.records[0], { ...b.records[1], seq: 500 }];
    assert.throws(() => encodeBatch({ ...b, records: recs }), RangeError);
  });
});

const str = fc.string({ minLength: 1, maxLength: 12 });
const facts = fc.dictionary(fc.constantFrom("a", "b", "recoveryTimeStamp"), fc.oneof(fc.integer({ min: 0, max: 2 ** 32 }), fc.boolean(), str), { maxKeys: 3 });
const at = fc.integer({ min: T0, max: T0 + 1e7 });
const probeName = fc.constantFrom("n4", "n3", "sip");
const body: fc.Arbitrary<RecordBody> = fc.oneof(
  fc.record({ type: fc.constant("probe" as const), at, probe: probeName, kind: fc.constantFrom("pfcp", "gtpu"), ok: fc.constant(true), latencyUs: fc.nat(10_000_000), facts }).map((r) =>
    Object.keys(r.facts).length ? r : { ...r, facts: undefined }
  ).map((r) => (r.facts === undefined ? (({ facts: _f, ...rest }) => rest)(r) : r) as RecordBody),
  fc.record({ type: fc.constant("probe" as const), at, probe: probeName, kind: fc.constant("sip"), ok: fc.constant(false), latencyUs: fc.nat(), failure: fc.record({ kind: fc.constantFrom("timeout", "refused", "malformed", "rejected", "local", "unreachable" as const), message: str }) }),
  fc.record({ type: fc.constant("state" as const), at, probe: probeName, from: fc.constantFrom("unknown", "healthy", "unhealthy" as const), to: fc.constantFrom("unknown", "healthy", "unhealthy" as const) }),
  fc.record({ type: fc.constant("verdict" as const), at, from: fc.constantFrom("UP", "DOWN" as const), to: fc.constantFrom("DEGRADED" as const), causes: fc.array(probeName, { maxLength: 3 }) }),
  fc.record({ type: fc.constant("spool-drop" as const), at, records: fc.nat(), bytes: fc.nat() }),
  fc.record({ type: fc.constant("agent-stop" as const), at, reason: fc.string() }),
);

describe("telemetry codec properties", () => {
  it("decodeBatch(encodeBatch(b)) returns b for any records", () => {
    fc.assert(fc.property(fc.array(body, { maxLength: 40 }), fc.nat(1e9), (bodies, base) => {
      const batch: Batch = { agentId: "a", bootId: "b", records: bodies.map((r, i) => ({ ...r, seq: base + i }) as TelemetryRecord) };
      assert.deepEqual(plain(decodeBatch(encodeBatch(batch))), plain(batch));
    }), { numRuns: 300 });
  });
  it("decodeRecord(encodeRecord(r)) returns r (the spool payload)", () => {
    fc.assert(fc.property(body, (r) => assert.deepEqual(plain(decodeRecord(encodeRecord(r))), plain(r))), { numRuns: 300 });
  });
  it("decodeRecord() throws only DecodeError on arbitrary or mutated spool payloads", () => {
    const valid = encodeRecord({ type: "probe", at: T0, probe: "n4", kind: "pfcp", ok: false, latencyUs: 5, failure: { kind: "timeout", message: "m" }, facts: { a: 1 } });
    fc.assert(fc.property(fc.oneof(
      fc.uint8Array({ maxLength: 60 }),
      fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })).map(([i, b]) => { const c = valid.slice(); c[i] = b; return c; }),
    ), (bytes) => {
      try {
        decodeRecord(bytes);
      } catch (e) {
        assert.ok(e instanceof DecodeError, `threw ${(e as Error)?.name}: ${(e as Error)?.message}`);
      }
    }), { numRuns: 2000 });
  });
  it("decodeBatch() throws only DecodeError on arbitrary or mutated bytes", () => {
    const valid = encodeBatch(probeBatch(20, true));
    fc.assert(fc.property(fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })).map(([i, b]) => { const c = valid.slice(); c[i] = b; return c; }),
      fc.nat(valid.length - 1).map((n) => valid.slice(0, n)),
    ), (bytes) => {
      try {
        decodeBatch(bytes);
      } catch (e) {
        assert.ok(e instanceof DecodeError, `threw ${(e as Error)?.name}: ${(e as Error)?.message}`);
      }
    }), { numRuns: 2000 });
  });
});
