import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { TelemetryRecord } from "../telemetry/record.ts";
import { aggregateBatch, MINUTE, newMinuteAgg } from "./batch_aggregate.ts";
import { applyBatch, applyFleet, DAY, foldFleet, foldMinutes, HOUR, type MinuteSlot, newReadModel, nodeSummary, probeView, rollupWrite, settleMinutes, slotAgg } from "./read_model.ts";
import { addDense, addValue, deserializeSketch, newDenseSketch, quantile, serializeDense } from "./sketch.ts";

const T0 = Date.UTC(2026, 10, 30, 7, 0, 0);
const probe = (seq: number, at: number, ok = true, latencyUs = 1000): TelemetryRecord =>
  ({ seq, type: "probe", at, probe: "n4", kind: "pfcp", ok, latencyUs, ...(ok ? {} : { failure: { kind: "timeout" } }) }) as TelemetryRecord;

describe("read model", () => {
  it("applies batches: acks, node summary, probe view, minutes; a node is dirty from its first unwritten batch", () => {
    const m = newReadModel();
    const recs = [{ seq: 1, type: "agent-start", at: T0, version: "1.0", labels: { region: "r1" } } as TelemetryRecord, probe(2, T0 + 1000), probe(3, T0 + 2000, false, 2_000_000),
      { seq: 4, type: "state", at: T0 + 2001, probe: "n4", from: "unknown", to: "unhealthy" } as TelemetryRecord];
    const changed = applyBatch(m, { agentId: "upf-1", bootId: "b1", ack: 4, gap: 0, receivedAt: T0 + 5000, rowid: 7, now: 100 }, aggregateBatch("upf-1", "b1", recs, 0), () => undefined);
    assert.equal(changed, true);
    assert.deepEqual(m.dirty.get("upf-1"), { rowid: 7, at: 100 });
    const n = m.nodes.get("upf-1")!;
    assert.deepEqual(nodeSummary(n), {
      id: "upf-1", labels: { region: "r1" }, version: "1.0", bootId: "b1", firstSeen: T0 + 5000, lastSeen: T0 + 5000, lastRecordAt: T0 + 2001,
      running: true, probes: { total: 1, healthy: 0, unhealthy: 1, unknown: 0 }, peerRestarts: 0, spoolDrops: 0,
    });
    assert.deepEqual(probeView(n.probes.get("n4")!), {
      name: "n4", kind: "pfcp", state: "unhealthy", stateSince: T0 + 2001, last: { at: T0 + 2000, ok: false, latencyMs: 2000, failure: { kind: "timeout" } },
      peerRestarts: 0, okTotal: 1, failTotal: 1,
    });
    // A second batch: not a summary change, the dirty mark stays at the first unwritten batch.
    assert.equal(applyBatch(m, { agentId: "upf-1", bootId: "b1", ack: 5, gap: 0, receivedAt: T0 + 9000, rowid: 9, now: 200 }, aggregateBatch("upf-1", "b1", [probe(5, T0 + MINUTE)], 0), () => undefined), false);
    assert.deepEqual(m.dirty.get("upf-1"), { rowid: 7, at: 100 });
    assert.equal(m.streams.get("upf-1\u0000b1")!.acked, 5);
    const p = n.probes.get("n4")!;
    assert.deepEqual([...p.minutes.keys()], [T0, T0 + MINUTE]);
    const first = slotAgg(p.minutes.get(T0)!);
    assert.deepEqual([first.count, first.ok, first.failures, first.sketch.count], [2, 1, { timeout: 1 }, 2]);
    settleMinutes(p);
    assert.deepEqual([...p.minutes.keys()], [T0 + MINUTE], "only the newest minute stays once written");
    assert.equal(p.persistedMax, T0 + MINUTE);
  });

  it("merges a minute already in the table before adding to it, and its stored form keeps the same quantiles", () => {
    const m = newReadModel();
    const stored = newMinuteAgg();
    stored.count = 3;
    stored.ok = 3;
    for (const v of [100, 200, 300]) addValue(stored.sketch, v);
    let loads = 0;
    const load = () => (loads++, stored);
    applyBatch(m, { agentId: "a", bootId: "b", ack: 1, gap: 0, receivedAt: T0, rowid: 1, now: 0 }, aggregateBatch("a", "b", [probe(1, T0, true, 400)], 0), load);
    const p = m.nodes.get("a")!.probes.get("n4")!;
    assert.equal(loads, 0, "a new probe has nothing stored: no read");
    p.persistedMax = Infinity;
    applyBatch(m, { agentId: "a", bootId: "b", ack: 2, gap: 0, receivedAt: T0, rowid: 2, now: 0 }, aggregateBatch("a", "b", [probe(2, T0 + MINUTE, true, 500)], 0), load);
    assert.equal(loads, 1);
    const slot = p.minutes.get(T0 + MINUTE)!;
    const before = slotAgg(slot);
    assert.equal(before.count, 4);
    // What a checkpoint writes (serializeDense) reads back as the same histogram.
    const after = deserializeSketch(serializeDense(slot.hist));
    assert.equal(after.count, 4);
    for (const q of [0, 0.5, 0.99]) assert.equal(quantile(after, q), quantile(before.sketch, q));
  });
  it("rollupWrite(): an open hour is written when it begins, when a minute its row holds gets more, at full checkpoints and once over", () => {
    const H = T0; // an hour start
    const slot = (o: Partial<MinuteSlot>): MinuteSlot => ({ count: 1, ok: 1, failures: undefined, hist: newDenseSketch(), dirty: true, ...o });
    const open = H + 10 * MINUTE; // the wall clock, inside the hour
    const cases: [string, MinuteSlot, boolean, number, boolean, ReturnType<typeof rollupWrite>][] = [
      ["new period, no row yet", slot({ maxMinute: H }), true, open, false, "asis"],
      ["the row holds all of it", slot({ rowThrough: H + 2 * MINUTE, maxMinute: H + 2 * MINUTE }), true, open, false, undefined],
      ["a later minute: the minute rows hold it", slot({ rowThrough: H + 2 * MINUTE - 1, maxMinute: H + 3 * MINUTE }), true, open, false, undefined],
      ["a minute the row holds got more", slot({ rowThrough: H + 2 * MINUTE, maxMinute: H + 2 * MINUTE, late: true }), true, open, false, "partial"],
      ["full checkpoint with minutes after the row", slot({ rowThrough: H + 2 * MINUTE - 1, maxMinute: H + 3 * MINUTE }), true, open, true, "asis"],
      ["full checkpoint, nothing after the row", slot({ rowThrough: H + 3 * MINUTE, maxMinute: H + 3 * MINUTE }), true, open, true, undefined],
      ["a later hour began", slot({ rowThrough: H + 2 * MINUTE - 1, maxMinute: H + 3 * MINUTE }), false, open, false, "full"],
      ["over by the wall clock, row holds it all but is open", slot({ rowThrough: H + 3 * MINUTE, maxMinute: H + 3 * MINUTE }), true, H + HOUR, false, "full"],
      ["over and written whole", slot({ rowThrough: H + HOUR - 1, maxMinute: H + 59 * MINUTE }), false, H + HOUR, false, undefined],
      ["over, written whole, then a late record", slot({ rowThrough: H + HOUR - 1, maxMinute: H + 59 * MINUTE, late: true }), false, H + 2 * HOUR, false, "full"],
    ];
    for (const [name, s, newest, now, checkpoint, want] of cases) assert.equal(rollupWrite(s, H, HOUR, newest, now, checkpoint), want, name);
  });

  it("serializeDense() less a histogram it contains: the open hour without its open minute", () => {
    const hour = newDenseSketch(), minute = newDenseSketch(), rest = newDenseSketch();
    for (const v of [0, 900, 1000, 1000, 250_000]) addDense(hour, v);
    for (const v of [0, 1000, 250_000]) addDense(minute, v);
    for (const v of [900, 1000]) addDense(rest, v);
    assert.deepEqual(serializeDense(hour, minute), serializeDense(rest));
    assert.equal(deserializeSketch(serializeDense(hour, minute)).count, 2);
  });

  it("fleet rollups: ingest adds to pending minutes only; a fold gives every level what adding each batch to it gave", () => {
    const m = newReadModel();
    const stored = newMinuteAgg();
    stored.count = 2;
    stored.ok = 1;
    stored.failures = { refused: 1 };
    for (const v of [100, 200]) addValue(stored.sketch, v);
    const loaded: string[] = [];
    const load = (level: string, _probe: string, t: number) => (loaded.push(`${level}@${t - T0}`), level === "days" ? stored : undefined);
    const batches = [[probe(1, T0 + 1000, true, 400), probe(2, T0 + 2000, false, 0)], [probe(3, T0 + MINUTE, true, 900)], [probe(4, T0 + HOUR, false, 2_000_000)]];
    for (const recs of batches.slice(0, 2)) applyFleet(m, aggregateBatch("a", "b", recs, 0));
    const f = m.fleet.get("n4")!;
    assert.equal(f.minutes.slots.size + f.hours.slots.size + f.days.slots.size, 0, "nothing folded yet");
    assert.equal(f.pending.size, 2);
    assert.equal(foldFleet(m, load), true);
    applyFleet(m, aggregateBatch("a", "b", batches[2], 0));
    assert.equal(foldFleet(m, load), true);
    assert.equal(foldFleet(m, load), false, "nothing pending");
    assert.deepEqual(loaded, ["minutes@0", "hours@0", `days@${-(T0 % DAY)}`, "minutes@60000", "minutes@3600000", "hours@3600000"], "each slot read once, when first made");
    const agg = (s: MinuteSlot) => {
      const a = slotAgg(s);
      return [a.count, a.ok, a.failures, a.sketch.zero, [...a.sketch.buckets].sort((x, y) => x[0] - y[0])];
    };
    const expect = (vs: number[], count: number, ok: number, failures: Record<string, number>) => {
      const s = newMinuteAgg();
      for (const v of vs) addValue(s.sketch, v);
      return [count, ok, failures, s.sketch.zero, [...s.sketch.buckets].sort((x, y) => x[0] - y[0])];
    };
    assert.deepEqual(agg(f.minutes.slots.get(T0)!), expect([400, 0], 2, 1, { timeout: 1 }));
    assert.deepEqual(agg(f.minutes.slots.get(T0 + MINUTE)!), expect([900], 1, 1, {}));
    assert.deepEqual(agg(f.hours.slots.get(T0)!), expect([400, 0, 900], 3, 2, { timeout: 1 }));
    assert.deepEqual(agg(f.hours.slots.get(T0 + HOUR)!), expect([2_000_000], 1, 0, { timeout: 1 }));
    // The day had a stored row: it is merged in once, before the first fold adds to it.
    assert.deepEqual(agg(f.days.slots.get(T0 - (T0 % DAY))!), expect([100, 200, 400, 0, 900, 2_000_000], 6, 3, { refused: 1, timeout: 2 }));
    assert.ok([...f.minutes.slots.values()].every((s) => s.dirty));
  });

  it("foldMinutes(): a result goes to its minute; the minute goes to its hour and day once the probe's next one begins, or when folded; a late one to all three", () => {
    const m = newReadModel();
    const none = () => undefined;
    let rowid = 0, seq = 0;
    const add = (...rs: [at: number, ok: boolean, us: number][]) =>
      applyBatch(m, { agentId: "a", bootId: "b", ack: seq + rs.length, gap: 0, receivedAt: T0, rowid: ++rowid, now: 0 }, aggregateBatch("a", "b", rs.map(([at, ok, us]) => probe(++seq, at, ok, us)), 0), none);
    add([T0, true, 400], [T0 + 1000, false, 900]);
    const p = m.nodes.get("a")!.probes.get("n4")!;
    const hour = () => p.hours.slots.get(T0), day = () => p.days.slots.get(T0 - (T0 % DAY));
    assert.equal(hour(), undefined, "minute 0 is the probe's newest: not in its hour yet");
    add([T0 + MINUTE, true, 500]);
    const expect = (values: number[], ok: number, failures: Record<string, number>) => {
      const s = newDenseSketch();
      for (const v of values) addDense(s, v);
      return { count: values.length, ok, failures, bytes: serializeDense(s) };
    };
    const of = (x: MinuteSlot | undefined) => ({ count: x!.count, ok: x!.ok, failures: x!.failures ?? {}, bytes: serializeDense(x!.hist) });
    assert.deepEqual(of(hour()), expect([400, 900], 1, { timeout: 1 }), "minute 0 folded when minute 1 began");
    assert.deepEqual(of(day()), of(hour()));
    assert.equal(hour()!.maxMinute, T0);
    // A late result for minute 0 (folded): to the minute, hour and day at once.
    add([T0 + 2000, true, 700]);
    assert.deepEqual(of(hour()), expect([400, 900, 700], 2, { timeout: 1 }));
    assert.deepEqual(of(p.minutes.get(T0)), of(hour()));
    // Folding before a write or a read: every minute before `before` (here all).
    foldMinutes(p, none, T0 + MINUTE);
    assert.equal(hour()!.count, 3, "minute 1 is not before T0 + 1 min");
    foldMinutes(p, none);
    assert.deepEqual(of(hour()), expect([400, 900, 700, 500], 3, { timeout: 1 }));
    assert.deepEqual(of(day()), of(hour()));
    assert.equal(hour()!.maxMinute, T0 + MINUTE);
    foldMinutes(p, none);
    assert.equal(hour()!.count, 4, "each minute folded once");
  });
});
