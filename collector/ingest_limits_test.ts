import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createIngestGuard, INGEST_LIMIT_DEFAULTS, type IngestLimits } from "./ingest_limits.ts";
import type { Batch, TelemetryRecord } from "../telemetry/record.ts";

const NOW = Date.UTC(2026, 10, 30, 7, 0, 0);
const probe = (seq: number, name = "n4", extra: Record<string, unknown> = {}) =>
  ({ seq, type: "probe", at: NOW, probe: name, kind: "pfcp", ok: true, latencyUs: 10, ...extra }) as TelemetryRecord;
const batch = (records: TelemetryRecord[], agentId = "upf-1", bootId = "b1"): Batch => ({ agentId, bootId, records });
const guard = (l: Partial<IngestLimits> = {}) => createIngestGuard({ ...INGEST_LIMIT_DEFAULTS, ...l });

describe("createIngestGuard()", () => {
  it("accepts what an honest agent sends", () => {
    assert.deepEqual(guard().check(batch([probe(1), probe(2, "n3", { facts: { peer: "smf-1" } })]), NOW), { clamped: 0 });
  });
  it("checks each name and kind once, and still refuses a bad one after many good ones", () => {
    const g = guard();
    // 70 valid kinds fill the bounded cache of checked kinds; the 71st, bad, is still refused.
    for (let i = 0; i < 70; i++) {
      const b = batch([probe(1, "n4", { kind: `k${i}` })], `upf-${i}`);
      assert.equal(g.check(b, NOW).violation, undefined);
      g.accepted(b);
    }
    assert.match(g.check(batch([probe(1, "n4", { kind: "Bad kind" })], "upf-0"), NOW).violation!.detail, /probe kind "Bad kind"/);
    // A known agent's known name passes without a new pattern test; an unknown bad name beside it is refused.
    assert.match(g.check(batch([probe(2, "n4"), probe(3, "n4 evil")], "upf-0"), NOW).violation!.detail, /record seq 3: probe name "n4 evil"/);
    // A batch with only known names adds nothing; one with a new name adds it.
    const known = batch([probe(4, "n4")], "upf-0");
    assert.equal(g.check(known, NOW).violation, undefined);
    g.accepted(known);
    const fresh = batch([probe(5, "n5")], "upf-0");
    assert.equal(g.check(fresh, NOW).violation, undefined);
    g.accepted(fresh);
    const g1 = guard({ maxProbesPerAgent: 2 });
    g1.accepted(batch([probe(1, "a"), probe(2, "b")], "x"));
    assert.match(g1.check(batch([probe(3, "a"), probe(4, "c")], "x"), NOW).violation!.detail, /maxProbesPerAgent = 2/);
  });
  it("refuses names the agent config would refuse, with 400 bad-name", () => {
    const g = guard();
    for (const [b, re] of [
      [batch([probe(1)], "upf\u0000evil"), /agent id "upf\\u0000evil" is not letters/],
      [batch([probe(1)], "upf-1", "b 1"), /boot id "b 1"/],
      [batch([probe(1, "x".repeat(64))]), /record seq 1: probe name "x{64}" is not/],
      [batch([probe(1, "n4", { kind: "PFCP!" })]), /probe kind "PFCP!"/],
      [batch([{ seq: 1, type: "verdict", at: NOW, from: "UP", to: "DOWN", causes: ["bad name"] } as TelemetryRecord]), /causes holds "bad name"/],
    ] as const) {
      const v = g.check(b, NOW).violation;
      assert.equal(v?.type, "bad-name");
      assert.equal(v?.status, 400);
      assert.match(v!.detail, re);
    }
  });
  it("refuses sizes over their limit, naming the limit", () => {
    const g = guard({ maxFactsPerRecord: 4, maxStringLength: 100, maxRecordsPerBatch: 3 });
    const facts = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`f${i}`, i]));
    assert.match(g.check(batch([probe(1, "n4", { facts })]), NOW).violation!.detail, /more than limits\.maxFactsPerRecord = 4 facts/);
    assert.match(g.check(batch([probe(1, "n4", { ok: false, failure: { kind: "timeout", message: "m".repeat(101) } })]), NOW).violation!.detail, /limits\.maxStringLength = 100/);
    assert.match(g.check(batch([probe(1), probe(2), probe(3), probe(4)]), NOW).violation!.detail, /4 records, more than limits\.maxRecordsPerBatch = 3/);
  });
  it("counts probes per agent and nodes across batches, seeded from the store", () => {
    const g = guard({ maxProbesPerAgent: 2, maxNodes: 2 });
    g.seed([{ node: "upf-1", probe: "a" }], ["upf-1"]);
    const b = batch([probe(1, "a"), probe(2, "b")]);
    assert.equal(g.check(b, NOW).violation, undefined);
    g.accepted(b);
    const v = g.check(batch([probe(3, "c")]), NOW).violation!;
    assert.equal(v.type, "limit-exceeded");
    assert.match(v.detail, /limits\.maxProbesPerAgent = 2/);
    assert.equal(g.check(batch([probe(1)], "upf-2"), NOW).violation, undefined);
    g.accepted(batch([probe(1)], "upf-2"));
    const n = g.check(batch([probe(1)], "upf-3"), NOW).violation!;
    assert.deepEqual([n.status, n.type], [403, "limit-exceeded"]);
    assert.match(n.detail, /limits\.maxNodes = 2/);
    assert.equal(g.check(batch([probe(1)], "upf-3"), NOW, true).violation, undefined, "an id with its own token is always a node");
    g.forget("upf-2");
    assert.equal(g.check(batch([probe(1)], "upf-3"), NOW).violation, undefined);
  });
  it("clamps record times outside the window to the receive time and counts them", () => {
    const g = guard({ recordTimeWindowMs: 3_600_000 });
    const b = batch([probe(1, "n4", { at: 0 }), probe(2, "n4", { at: 8.64e15 }), probe(3, "n4", { at: NOW - 3_000_000 })]);
    assert.deepEqual(g.check(b, NOW), { clamped: 2 });
    assert.deepEqual(b.records.map((r) => r.at), [NOW, NOW, NOW - 3_000_000]);
  });
});
