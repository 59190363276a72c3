import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { TelemetryRecord } from "../telemetry/record.ts";
import { aggregateBatch, MINUTE } from "./batch_aggregate.ts";
import { applyBatch, newReadModel, slotAgg } from "./read_model.ts";
import { quantile } from "./sketch.ts";

const T0 = Date.UTC(2026, 10, 30, 7, 0, 0);

describe("aggregateBatch()", () => {
  it("counts each probe's results per minute, keeps the last result and facts, and the events in order", () => {
    const recs: TelemetryRecord[] = [
      { seq: 1, type: "agent-start", at: T0, version: "1.2.3", labels: { region: "north" } },
      { seq: 2, type: "probe", at: T0 + 1000, probe: "n4", kind: "pfcp", ok: true, latencyUs: 900, facts: { recoveryTimeStamp: 7 } },
      { seq: 3, type: "probe", at: T0 + 59_999, probe: "n4", kind: "pfcp", ok: false, latencyUs: 2_000_000, failure: { kind: "timeout" } },
      { seq: 4, type: "probe", at: T0 + MINUTE, probe: "n4", kind: "pfcp", ok: true, latencyUs: 1100 },
      { seq: 5, type: "state", at: T0 + MINUTE + 1, probe: "n4", from: "unknown", to: "healthy" },
      { seq: 6, type: "peer-restart", at: T0 + MINUTE + 2, probe: "n4", detail: { recoveryTimeStamp: 8 } },
      { seq: 7, type: "spool-drop", at: T0 + MINUTE + 3, records: 12, bytes: 100 },
      { seq: 8, type: "spool-drop", at: T0 + MINUTE + 4, records: 5, bytes: 50 },
      { seq: 9, type: "verdict", at: T0 + MINUTE + 5, from: "DOWN", to: "UP", causes: [] },
      { seq: 10, type: "agent-stop", at: T0 + MINUTE + 6, reason: "SIGTERM" },
    ];
    const d = aggregateBatch("upf-1", "b1", recs, 3);
    // The results go through as they are; the other records' changes per probe beside them.
    assert.deepEqual(d.results.map((r) => r.seq), [2, 3, 4]);
    assert.deepEqual(d.probes.get("n4"), { restarts: 1, state: "healthy", stateSince: T0 + MINUTE + 1 });
    // Applied to a read model: counts per minute, the last result and the facts.
    const m = newReadModel();
    applyBatch(m, { agentId: "upf-1", bootId: "b1", ack: 10, gap: 0, receivedAt: T0, rowid: 1, now: 0 }, d, () => undefined);
    const p = m.nodes.get("upf-1")!.probes.get("n4")!;
    assert.deepEqual([p.okTotal, p.failTotal, p.peerRestarts, p.kind, p.state, p.stateSince], [2, 1, 1, "pfcp", "healthy", T0 + MINUTE + 1]);
    assert.deepEqual(p.last, { at: T0 + MINUTE, ok: true, latencyUs: 1100 });
    assert.deepEqual(p.facts, { recoveryTimeStamp: 7 });
    assert.deepEqual([...p.minutes.keys()], [T0, T0 + MINUTE]);
    const first = slotAgg(p.minutes.get(T0)!);
    assert.deepEqual([first.count, first.ok, first.failures, first.sketch.count], [2, 1, { timeout: 1 }, 2]);
    // The latencies within the sketch's 1 % relative error.
    for (const [q, v] of [[0, 900], [1, 2_000_000]]) assert.ok(Math.abs(quantile(first.sketch, q)! - v) / v <= 0.01, `q${q}`);
    assert.deepEqual(d.events.map((e) => e.type), ["agent-start", "state", "peer-restart", "spool-drop", "spool-drop", "verdict", "agent-stop"]);
    assert.deepEqual(d.events[1], { seq: 5, bootId: "b1", at: T0 + MINUTE + 1, type: "state", probe: "n4", detail: { probe: "n4", from: "unknown", to: "healthy" } });
    assert.deepEqual(d.stateChanges, [{ type: "probe-state", node: "upf-1", probe: "n4", from: "unknown", to: "healthy", at: T0 + MINUTE + 1 }]);
    assert.equal(d.drops, 12, "spool-drop totals are cumulative: the highest wins");
    assert.deepEqual([d.verdict, d.version, d.labels, d.peerRestarts, d.firstAt, d.lastAt, d.running], ["UP", "1.2.3", { region: "north" }, 1, T0, T0 + MINUTE + 6, false]);
  });

  it("lists the results in seq order whether other records come first, between or not at all", () => {
    const r = (seq: number): TelemetryRecord => ({ seq, type: "probe", at: T0 + seq, probe: "n4", kind: "pfcp", ok: true, latencyUs: 900 });
    const s = (seq: number): TelemetryRecord => ({ seq, type: "state", at: T0 + seq, probe: "n4", from: "unknown", to: "healthy" });
    const only = [r(1), r(2), r(3)];
    assert.equal(aggregateBatch("a", "b", only, 0).results, only, "results only: the records themselves, not a copy");
    for (const recs of [[r(1), r(2), s(3), r(4)], [s(1), r(2), r(3)], [r(1), r(2), s(3)], [r(1), s(2), r(3), s(4), r(5)]]) {
      assert.deepEqual(aggregateBatch("a", "b", recs, 0).results.map((x) => x.seq), recs.filter((x) => x.type === "probe").map((x) => x.seq));
    }
  });

  it("never lowers the drop total reported before, and gives the same delta for the same records", () => {
    const recs: TelemetryRecord[] = [{ seq: 1, type: "spool-drop", at: T0, records: 2, bytes: 9 }];
    assert.equal(aggregateBatch("a", "b", recs, 10).drops, 10);
    const probes: TelemetryRecord[] = Array.from({ length: 20 }, (_, i) => ({ seq: i + 1, type: "probe", at: T0 + i * 5000, probe: `p${i % 3}`, kind: "gtpu", ok: i % 7 !== 0, latencyUs: 500 + i, ...(i % 7 === 0 ? { failure: { kind: "refused" } } : {}) }) as TelemetryRecord);
    assert.deepEqual(aggregateBatch("a", "b", probes, 0), aggregateBatch("a", "b", probes, 0));
  });
});
