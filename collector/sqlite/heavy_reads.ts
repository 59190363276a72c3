/**
 * @module The SQLite store's heavy reads (a probe's history, latency over a window): the rows of
 * the tables in the window, superseded by the slots the read model still holds in memory
 * (collector/read_model.ts: the open and not yet checkpointed minutes, hours and days), which the
 * caller copies into the query. Given only the read statements, so the same code answers on the
 * store's own connection or in the read thread on a connection of its own
 * (collector/sqlite/read_thread.ts).
 *
 * Cost: one sketch decode and merge per row, about 2 µs (docs/security.md "Bounded reads").
 */
import type { Database, Row } from "../../runtime/sqlite.ts";
import { MINUTE } from "../batch_aggregate.ts";
import { DAY, HOUR, type Level, type MinuteSlot, slotAgg } from "../read_model.ts";
import { historyBody, latencyBody } from "../read_bodies.ts";
import { type DenseSketch, mergeInto, mergeSerializedInto, newSketch, quantiles, RELATIVE_ERROR, type Sketch } from "../sketch.ts";
import type { HistoryPoint, LatencySummary, WindowQuery } from "../store.ts";
import { num } from "./rows.ts";

/** A slot of the read model as sent with a query (structured-clone safe). */
export interface SlotCopy {
  readonly t: number;
  readonly count: number;
  readonly ok: number;
  readonly failures: Record<string, number> | undefined;
  /** The slot's dense histogram (typed array: structured-clone safe), copied at the query. */
  readonly hist: DenseSketch;
}

/** One node's probe (or the fleet's, `node` undefined) at one level over [from, to). */
export interface RowsQuery {
  readonly node?: string;
  readonly probe: string;
  readonly level: Level;
  /** Aligned to the level's step. */
  readonly from: number;
  readonly to: number;
  /** The read model's slots of this probe and level in [from, to): they replace the rows. */
  readonly mem: readonly SlotCopy[];
}

export interface HistoryQuery {
  readonly kind: "history";
  readonly node: string;
  readonly probe: string;
  readonly window: WindowQuery;
  /** As asked (echoed in the answer). */
  readonly step: number;
  /** Rounded to whole minutes, at least one. */
  readonly stepMs: number;
  readonly rows: RowsQuery;
  /** The node's summary over the window. */
  readonly summary: RowsQuery;
}

export interface LatencyQuery {
  readonly kind: "latency";
  readonly probe: string;
  readonly window: WindowQuery;
  /** As asked: undefined is the whole fleet (read from the fleet rollups). */
  readonly nodes: readonly string[] | undefined;
  /** One per named node, or the one fleet query. */
  readonly rows: readonly RowsQuery[];
}

export type HeavyQuery = HistoryQuery | LatencyQuery;

export const UNIT: Record<Level, number> = { minutes: MINUTE, hours: HOUR, days: DAY };
/** The coarsest level whose step still fits `stepMs`: a year per day is 365 rows, not 525,600. */
export const levelForStep = (stepMs: number): Level => (stepMs >= DAY ? "days" : stepMs >= HOUR ? "hours" : "minutes");
/** For a window with no step: minutes up to 48 h, hours up to 90 days, days beyond. */
export const levelForWindow = (ms: number): Level => (ms <= 48 * HOUR ? "minutes" : ms <= 90 * DAY ? "hours" : "days");

/** Copy the slots of `slots` in [from, to) for a query. */
export function copySlots(slots: ReadonlyMap<number, MinuteSlot> | undefined, from: number, to: number): SlotCopy[] {
  const out: SlotCopy[] = [];
  if (slots) for (const [t, s] of slots) if (t >= from && t < to) {
    const h = s.hist;
    out.push({ t, count: s.count, ok: s.ok, failures: s.failures, hist: { zero: h.zero, count: h.count, lo: h.lo, counts: h.counts.slice() } });
  }
  return out;
}

export interface ReadStatements {
  readonly minutesOf: StatementLike;
  readonly hoursOf: StatementLike;
  readonly daysOf: StatementLike;
  readonly fleetOf_minutes: StatementLike;
  readonly fleetOf_hours: StatementLike;
  readonly fleetOf_days: StatementLike;
}
interface StatementLike {
  all(...p: (string | number)[]): Row[];
}

/** The read statements alone (the read thread's connection prepares nothing else). */
export function prepareReadStatements(db: Database): ReadStatements {
  const cols = "count, ok, failures, sketch";
  const of = (table: string) => db.prepare(`SELECT t AS minute, ${cols}, through FROM ${table} WHERE agent_id = ? AND probe = ? AND t >= ? AND t < ? ORDER BY t`);
  const fleet = (table: string) => db.prepare(`SELECT t AS minute, ${cols} FROM ${table} WHERE probe = ? AND t >= ? AND t < ?`);
  return {
    minutesOf: db.prepare(`SELECT minute, ${cols} FROM minutes WHERE agent_id = ? AND probe = ? AND minute >= ? AND minute < ? ORDER BY minute`),
    hoursOf: of("hours"),
    daysOf: of("days"),
    fleetOf_minutes: fleet("fleet_minutes"),
    fleetOf_hours: fleet("fleet_hours"),
    fleetOf_days: fleet("fleet_days"),
  };
}

/** One step's aggregate as read: a stored row keeps its sketch serialized until it is merged. */
export interface Part {
  readonly count: number;
  readonly ok: number;
  readonly failures: Record<string, number> | undefined;
  readonly sketch?: Sketch;
  readonly bytes?: Uint8Array;
}

const partFromRow = (r: Row): Part => ({
  count: num(r.count),
  ok: num(r.ok),
  // Most minutes have no failures: "{}" is not parsed.
  failures: r.failures === "{}" || typeof r.failures !== "string" ? undefined : JSON.parse(r.failures) as Record<string, number>,
  bytes: r.sketch as Uint8Array,
});

/** The aggregates of one RowsQuery by step start: the rows, then the memory slots over them. */
export function partsOf(s: ReadStatements, q: RowsQuery, from = q.from, to = q.to): Map<number, Part> {
  const out = new Map<number, Part>();
  const rows = q.node === undefined
    ? { minutes: s.fleetOf_minutes, hours: s.fleetOf_hours, days: s.fleetOf_days }[q.level].all(q.probe, from, to)
    : { minutes: s.minutesOf, hours: s.hoursOf, days: s.daysOf }[q.level].all(q.node, q.probe, from, to);
  for (const r of rows) out.set(num(r.minute), partFromRow(r));
  for (const m of q.mem) if (m.t >= from && m.t < to) out.set(m.t, slotAgg({ count: m.count, ok: m.ok, failures: m.failures, hist: m.hist, dirty: false }));
  // A node's open hour or day not in memory (after a restart, before its probe reports again):
  // its row holds the minutes up to `through`, the minute rows the rest (read_model.ts rollupWrite).
  if (q.node !== undefined && q.level !== "minutes") {
    const unit = UNIT[q.level];
    for (const r of rows) {
      const t = num(r.minute);
      if (r.through === null || r.through === undefined || num(r.through) >= t + unit - 1 || q.mem.some((m) => m.t === t)) continue;
      out.set(t, withMinutesAfter(s, q.node, q.probe, out.get(t)!, num(r.through), t + unit));
    }
  }
  return out;
}

/** A rollup row's part plus the minute rows in (through, end). At most one per probe and level: the open one. */
function withMinutesAfter(s: ReadStatements, node: string, probe: string, row: Part, through: number, end: number): Part {
  const sketch = newSketch();
  if (row.bytes) mergeSerializedInto(sketch, row.bytes);
  let count = row.count, ok = row.ok;
  let failures = row.failures ? { ...row.failures } : undefined;
  for (const m of s.minutesOf.all(node, probe, through + 1, end)) {
    const p = partFromRow(m);
    count += p.count;
    ok += p.ok;
    for (const k in p.failures) (failures ??= {})[k] = (failures[k] ?? 0) + p.failures[k];
    mergeSerializedInto(sketch, p.bytes!);
  }
  return { count, ok, failures, sketch };
}

/**
 * Rows one chunk of a history read holds at once. The whole window at once (41,760 minute rows
 * for 30 days at 5-minute steps) kept every row alive until the end, so each garbage collection
 * the read caused had all of them to trace, on the collector's GC helper thread at normal
 * priority (bench:reads: the read thread's GC helper took ~15-20 % of a core). By chunks, a
 * chunk's rows are garbage before the next is read, and the read thread pauses between chunks
 * (collector/sqlite/read_worker.ts).
 */
export const CHUNK_ROWS = 2880;

export function summarize(parts: Iterable<Part>): LatencySummary {
  const s = newSketch();
  let count = 0, ok = 0;
  const failures: Record<string, number> = {};
  for (const a of parts) {
    count += a.count;
    ok += a.ok;
    for (const k in a.failures) failures[k] = (failures[k] ?? 0) + a.failures[k];
    if (a.bytes) mergeSerializedInto(s, a.bytes);
    else if (a.sketch) mergeInto(s, a.sketch);
  }
  const out: LatencySummary = { count, ok, failures: failures as LatencySummary["failures"], relativeError: RELATIVE_ERROR };
  if (count === 0) return out;
  const [p50, p90, p99] = quantiles(s, [0.5, 0.9, 0.99]).map((v) => Math.round(v!) / 1000);
  return { ...out, p50, p90, p99 };
}

/**
 * A history read's points, chunk by chunk (each about CHUNK_ROWS rows, a whole number of steps,
 * so no step spans two chunks): in time order, each chunk's points sorted.
 */
export function* historyChunks(s: ReadStatements, q: HistoryQuery): Generator<HistoryPoint[]> {
  const from = q.rows.from, to = q.rows.to, step = q.stepMs;
  const chunkMs = Math.max(1, Math.floor((CHUNK_ROWS * UNIT[q.rows.level]) / step)) * step;
  for (let cf = from; cf < to; cf += chunkMs) {
    const groups = new Map<number, Part[]>();
    for (const [m, part] of partsOf(s, q.rows, cf, Math.min(to, cf + chunkMs))) {
      const t = from + Math.floor((m - from) / step) * step;
      const g = groups.get(t);
      if (g) g.push(part);
      else groups.set(t, [part]);
    }
    yield [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([t, parts]) => ({ t, ...summarize(parts) }));
  }
}

export function historyPoints(s: ReadStatements, q: HistoryQuery): HistoryPoint[] {
  const out: HistoryPoint[] = [];
  for (const points of historyChunks(s, q)) for (const p of points) out.push(p);
  return out;
}

export function latencySummary(s: ReadStatements, rows: readonly RowsQuery[]): LatencySummary {
  const all: Part[] = [];
  for (const q of rows) for (const a of partsOf(s, q).values()) all.push(a);
  return summarize(all);
}

/**
 * The query's answer as the route's JSON body (collector/read_bodies.ts), step by step: it
 * yields between the chunks of a history read (where the read thread may pause) and returns
 * the body.
 */
export function* answerSteps(s: ReadStatements, q: HeavyQuery): Generator<void, string> {
  if (q.kind === "history") {
    const summary = latencySummary(s, [q.summary]);
    const points: HistoryPoint[] = [];
    for (const chunk of historyChunks(s, q)) {
      for (const p of chunk) points.push(p);
      yield;
    }
    return historyBody({ node: q.node, probe: q.probe, window: q.window, step: q.step, summary, points });
  }
  return latencyBody(q.probe, q.window, q.nodes, latencySummary(s, q.rows));
}

/** The query's answer as the route's JSON body, at once. */
export function answerBody(s: ReadStatements, q: HeavyQuery): string {
  const steps = answerSteps(s, q);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}
