/**
 * @module The collector's read model in memory: streams (acks), nodes, probes and the open
 * minutes of every probe, updated from batch deltas (collector/batch_aggregate.ts) and answering
 * the fleet views without a query. A Store persists it at checkpoints and rebuilds it on open
 * (collector/sqlite_store.ts); what is `dirty` is what the next checkpoint writes.
 *
 * Memory: one NodeMem per node, one ProbeMem per (node, probe) with its newest minute and the
 * minutes not yet checkpointed (1-2 per probe at steady state).
 *
 * Dirty state is tracked per node: a node's streams, node row, probes and minutes are written
 * together in one transaction, so a replay of the journal skips, by the stream's ack, every batch
 * that row already reflects (collector/sqlite_store.ts).
 */
import type { Facts } from "../telemetry/record.ts";
import { type BatchDelta, MINUTE, type MinuteAgg, type ProbeResult } from "./batch_aggregate.ts";
import { addDense, addDenseAt, bucketIndex, type DenseSketch, denseToSketch, mergeDense, mergeIntoDense, newDenseSketch, newDenseSketchLike } from "./sketch.ts";
import type { SeqHole, StreamSeq } from "./seq_admit.ts";
import type { LastResult, NodeSummary, ProbeView } from "./store.ts";

export interface StreamMem {
  readonly agentId: string;
  readonly bootId: string;
  acked: number;
  drops: number;
  firstSeen: number;
  lastSeen: number;
  /** Seqs skipped as gaps so far (StreamSeq.gaps, collector/seq_admit.ts). */
  gap: number;
  /**
   * Seqs skipped by a jump no spool-drop report accounts for yet (collector/seq_admit.ts):
   * checkpointed with the stream (streams.hole_from/hole_to), so it outlives a restart.
   */
  hole?: SeqHole;
}

/** The sequence state seq_admit.ts works on (no allocation beyond the object itself). */
export const streamSeq = (s: StreamMem): StreamSeq => ({ acked: s.acked, drops: s.drops, gaps: s.gap, ...(s.hole ? { hole: s.hole } : {}) });

export interface NodeMem {
  readonly id: string;
  labels: Record<string, string>;
  version?: string;
  bootId: string;
  firstSeen: number;
  lastSeen: number;
  lastRecordAt?: number;
  verdict?: NodeSummary["verdict"];
  running: boolean;
  spoolDrops: number;
  peerRestarts: number;
  readonly probes: Map<string, ProbeMem>;
  /** Streams and probes with state not yet written. */
  readonly dirtyStreams: Set<StreamMem>;
  readonly dirtyMinutes: Set<ProbeMem>;
  /**
   * The node's open minute: the newest minute any of its probe results fell in (-Infinity: none
   * since the store opened). Its rows wait until it closes (collector/sqlite_store.ts).
   */
  newestMinute: number;
  /**
   * The journal row of the first batch that added to `newestMinute` since that minute's rows were
   * last written (undefined: none did): where a replay must start to rebuild the open minute.
   */
  newestSince?: number;
  /** The store's clock when `newestSince` was set. */
  newestSinceAt?: number;
  /**
   * As last written (the node's row): minutes from `openFrom` on were not written with it; the
   * journal rows from `openRowid` on hold what of them the tables lack. Undefined: nothing open.
   */
  openFrom?: number;
  openRowid?: number;
  /** State that is in no journal row (a seq-only change of a stream): written at the next chance. */
  force?: boolean;
}

/**
 * One probe's minute, hour or day in memory while it is open: outcome counts and a dense latency
 * histogram (collector/sketch.ts DenseSketch). Raw latencies folded every 256 values into a
 * serialized sketch measured ~4 KB per probe for its open minute, hour and day (552 MiB at
 * 10,000 agents × 10 probes); the dense counts take a few hundred bytes per open bucket and one
 * increment per value (docs/scale-out.md has the before and after).
 */
export interface MinuteSlot {
  count: number;
  ok: number;
  failures: Record<string, number> | undefined;
  readonly hist: DenseSketch;
  dirty: boolean;
  /**
   * A node's hour or day only (see `rollupWrite`): its table row holds exactly the minutes up to
   * this time (minute starts ≤ rowThrough); -Infinity or absent: no row.
   */
  rowThrough?: number;
  /** The newest minute added to the slot. */
  maxMinute?: number;
  /** A minute the row already holds got more (a late record): the row must be written again. */
  late?: boolean;
  /**
   * A probe's minute only: its results are in its hour and day slots too (see `foldMinutes`).
   * False while the minute is the probe's newest: its results go to the minute alone.
   */
  folded?: boolean;
}

/** A stored hour or day as read back: its row plus the minute rows written after it. */
export interface StoredRollup extends MinuteAgg {
  readonly rowThrough?: number;
  readonly maxMinute?: number;
}

export function slotFromAgg(a: MinuteAgg | StoredRollup): MinuteSlot {
  const hist = newDenseSketch();
  mergeIntoDense(hist, a.sketch);
  const r = a as StoredRollup;
  // A minute read from its table is in the table's hour and day (written in the same transaction): folded.
  return { count: a.count, ok: a.ok, failures: a.failures, hist, dirty: false, rowThrough: r.rowThrough, maxMinute: r.maxMinute, late: false, folded: true };
}

/**
 * How a node's hour or day slot is written at a node's checkpoint, if at all. Rewriting every
 * open hour and day row with each node (every 15 s) was two thirds of a checkpoint's rows and
 * ~20 % of ingest CPU with the simulator's 5 s batches (docs/benchmarks.md). An open hour or day
 * is instead what its row holds plus the minute rows after `rowThrough`, which are written with
 * the node anyway; reading a slot back (sqlite_store.ts) merges the two, so nothing is lost.
 *
 * - "full": the period is over (by the wall clock, or a later one has begun): the whole slot,
 *   rowThrough = the period's last ms (NULL in the table: complete).
 * - "asis": the period has no row yet, or a full checkpoint (prune, retire, close): the whole
 *   slot, rowThrough = its newest minute. Every period with data thus has a row, and a restart
 *   reads an open one back with the row and the few minute rows after it.
 * - "partial": a late record reached a minute the row holds: the slot without its newest minute
 *   (still open, so it may get more), rowThrough = just before that minute.
 * - undefined: the row plus the minute rows after it already hold the slot.
 * So an open hour or day is written about twice (when it begins, and when the same minute got
 * more after that) plus at each full checkpoint, instead of with each node write.
 */
export function rollupWrite(s: MinuteSlot, t: number, span: number, newest: boolean, now: number, checkpoint: boolean): "full" | "asis" | "partial" | undefined {
  const through = s.rowThrough ?? -Infinity;
  const due = s.late || (s.maxMinute ?? -Infinity) > through;
  // Over: written whole once, so its row leaves the open rows' index (schema.ts SCHEMA_INDEXES).
  if (!newest || t + span <= now) return due || through < t + span - 1 ? "full" : undefined;
  if (!due) return undefined;
  if (checkpoint || through === -Infinity) return "asis";
  return s.late ? "partial" : undefined;
}

/** The slot as an aggregate (a fresh sketch: the caller may keep or merge it). */
export function slotAgg(s: MinuteSlot): MinuteAgg {
  return { count: s.count, ok: s.ok, failures: s.failures ?? {}, sketch: denseToSketch(s.hist) };
}

function addFailure(s: MinuteSlot, kind: string): void {
  const f = (s.failures ??= {});
  f[kind] = (f[kind] ?? 0) + 1;
}

function addFailures(s: MinuteSlot, f: Record<string, number>): void {
  for (const k in f) (s.failures ??= {})[k] = (s.failures[k] ?? 0) + f[k];
}

/** One result into a probe's minute alone (its hour and day get it when the minute is folded). */
function addTo1(a: MinuteSlot, r: ProbeResult): void {
  a.count++;
  if (r.ok) a.ok++;
  else addFailure(a, r.failure?.kind ?? "local");
  addDense(a.hist, r.latencyUs);
  a.dirty = true;
}

/**
 * One result into a probe's minute, hour and day (a minute already folded into them: a late
 * result): the counts three times, its latency's bucket computed once (a log) and counted in the
 * three histograms.
 */
function addTo3(a: MinuteSlot, b: MinuteSlot, c: MinuteSlot, r: ProbeResult): void {
  a.count++;
  b.count++;
  c.count++;
  if (r.ok) {
    a.ok++;
    b.ok++;
    c.ok++;
  } else {
    const kind = r.failure?.kind ?? "local";
    addFailure(a, kind);
    addFailure(b, kind);
    addFailure(c, kind);
  }
  const v = r.latencyUs;
  if (v <= 0) {
    addDense(a.hist, v);
    addDense(b.hist, v);
    addDense(c.hist, v);
  } else {
    const i = bucketIndex(v);
    addDenseAt(a.hist, i);
    addDenseAt(b.hist, i);
    addDenseAt(c.hist, i);
  }
  a.dirty = b.dirty = c.dirty = true;
}

export interface ProbeMem {
  readonly node: string;
  readonly name: string;
  kind: string;
  state: ProbeView["state"];
  stateSince?: number;
  last?: { at: number; ok: boolean; latencyUs: number; failure?: LastResult["failure"] };
  facts?: Facts;
  peerRestarts: number;
  okTotal: number;
  failTotal: number;
  /** minute start → aggregate; the newest and those not yet checkpointed. */
  readonly minutes: Map<number, MinuteSlot>;
  /**
   * Newest minute already in the table: a new slot for a later minute needs no read. +Infinity
   * when unknown (loaded after a restart).
   */
  persistedMax: number;
  /** Rollups: the same aggregates per hour and per day (long retention, docs/telemetry.md). */
  readonly hours: RollupLevel;
  readonly days: RollupLevel;
  /** In its node's `dirtyMinutes` (a flag test is cheaper than a Set add per probe and batch). */
  queued: boolean;
  /** The minute slot the last result went to, and its start (forgotten when slots are dropped). */
  curT: number;
  cur?: MinuteSlot;
}

export interface RollupLevel {
  readonly slots: Map<number, MinuteSlot>;
  persistedMax: number;
  /**
   * The slot `levelSlot` gave last and its start, while it is in `slots` (settling forgets it):
   * a probe's batches nearly always add to the same hour and day, and the Map lookups for them
   * were ~5 % of ingest CPU with 5 s batches (bun --cpu-prof).
   */
  cur?: MinuteSlot;
  curT?: number;
}

export const HOUR = 3_600_000;
export const DAY = 86_400_000;
export type Level = "minutes" | "hours" | "days";

/** One probe name merged across the fleet, per minute, hour and day. */
export interface FleetProbe {
  readonly minutes: RollupLevel;
  readonly hours: RollupLevel;
  readonly days: RollupLevel;
  /** minute start → what ingest added since the last `foldFleet` (not yet in the three levels). */
  readonly pending: Map<number, MinuteSlot>;
}

export interface ReadModel {
  readonly streams: Map<string, StreamMem>;
  /** Probe name → its fleet-wide rollups (slots since the last write, and the newest). */
  readonly fleet: Map<string, FleetProbe>;
  readonly nodes: Map<string, NodeMem>;
  /**
   * Nodes with unwritten state, oldest first: the journal rowid of the first batch not yet
   * written (so everything below the first entry's rowid is in the tables) and when.
   */
  readonly dirty: Map<string, { readonly rowid: number; readonly at: number }>;
}

export function newReadModel(): ReadModel {
  return { streams: new Map(), fleet: new Map(), nodes: new Map(), dirty: new Map() };
}

export function newNodeMem(id: string, bootId: string, at: number): NodeMem {
  return {
    id, labels: {}, version: undefined, bootId, firstSeen: at, lastSeen: at, lastRecordAt: undefined, verdict: undefined, running: true, spoolDrops: 0, peerRestarts: 0,
    probes: new Map(), dirtyStreams: new Set(), dirtyMinutes: new Set(),
    newestMinute: -Infinity, newestSince: undefined, newestSinceAt: undefined, openFrom: undefined, openRowid: undefined, force: false,
  };
}

export const streamKey = (agentId: string, bootId: string) => `${agentId}\u0000${bootId}`;

export function newProbeMem(node: string, name: string): ProbeMem {
  return {
    node, name, kind: "", state: "unknown", stateSince: undefined, last: undefined, facts: undefined, peerRestarts: 0, okTotal: 0, failTotal: 0, minutes: new Map(), persistedMax: -Infinity,
    hours: newLevel(-Infinity), days: newLevel(-Infinity), queued: false, curT: NaN, cur: undefined,
  };
}

/** What `applyBatch` needs besides the delta. */
export interface Applied {
  readonly agentId: string;
  readonly bootId: string;
  /** The new ack (last seq of the batch). */
  readonly ack: number;
  readonly gap: number;
  /**
   * The stream's state after admission (collector/seq_admit.ts): when given, it is the stream's
   * acked, gaps and hole (a batch filling a hole answers an ack below the stream's).
   */
  readonly seq?: StreamSeq;
  readonly receivedAt: number;
  /** The batch's journal row. */
  readonly rowid: number;
  /** Wall clock, for how long a node stays dirty. */
  readonly now: number;
  /** The store's clock (when a node's open minute began, for its bound). @default now */
  readonly clock?: number;
}

/**
 * Apply a durable batch's delta. `loadMinute` reads a minute already persisted (a late record,
 * or the open minute after a restart) so a slot always holds the whole minute.
 * @returns whether the node's summary changed in a way subscribers hear about (new node, boot,
 *   verdict, version, running).
 */
export function applyBatch(m: ReadModel, a: Applied, d: BatchDelta, loadMinute: LevelLoad): boolean {
  const key = streamKey(a.agentId, a.bootId);
  let s = m.streams.get(key);
  if (!s) m.streams.set(key, s = { agentId: a.agentId, bootId: a.bootId, acked: 0, drops: 0, firstSeen: a.receivedAt, lastSeen: a.receivedAt, gap: 0 });
  const dropsBefore = s.drops;
  if (a.seq) {
    s.acked = a.seq.acked;
    s.drops = Math.max(a.seq.drops, d.drops);
    s.gap = a.seq.gaps;
    if (a.seq.hole) s.hole = a.seq.hole;
    else delete s.hole;
  } else {
    s.acked = a.ack;
    s.drops = d.drops;
    s.gap += a.gap;
  }
  s.lastSeen = a.receivedAt;

  let n = m.nodes.get(a.agentId);
  const isNew = !n;
  if (!n) m.nodes.set(a.agentId, n = newNodeMem(a.agentId, a.bootId, a.receivedAt));
  n.dirtyStreams.add(s);
  if (!m.dirty.has(a.agentId)) m.dirty.set(a.agentId, { rowid: a.rowid, at: a.now });
  const changed = isNew || n.bootId !== a.bootId || n.running !== d.running || d.verdict !== undefined || d.version !== undefined;
  if (d.labels) n.labels = d.labels;
  if (d.version !== undefined) n.version = d.version;
  if (d.verdict !== undefined) n.verdict = d.verdict;
  n.bootId = a.bootId;
  n.lastSeen = a.receivedAt;
  if (d.lastAt > (n.lastRecordAt ?? 0)) n.lastRecordAt = d.lastAt;
  n.running = d.running;
  n.spoolDrops += s.drops - dropsBefore;
  n.peerRestarts += d.peerRestarts;

  const rs = d.results;
  for (let k = 0; k < rs.length; k++) {
    const r = rs[k];
    let p = n.probes.get(r.probe);
    if (!p) n.probes.set(r.probe, p = newProbeMem(a.agentId, r.probe));
    p.kind = r.kind;
    // Two literal shapes, no spread: a small object rather than the record (which holds more).
    p.last = r.failure ? { at: r.at, ok: r.ok, latencyUs: r.latencyUs, failure: r.failure } : { at: r.at, ok: r.ok, latencyUs: r.latencyUs };
    if (r.facts) p.facts = r.facts;
    if (r.ok) p.okTotal++;
    else p.failTotal++;
    addResult(n, p, r, a.rowid, a.clock ?? a.now, loadMinute);
  }
  for (const [name, pd] of d.probes) {
    let p = n.probes.get(name);
    if (!p) n.probes.set(name, p = newProbeMem(a.agentId, name));
    if (pd.state !== undefined) p.state = pd.state;
    if (pd.stateSince !== undefined) p.stateSince = pd.stateSince;
    p.peerRestarts += pd.restarts;
  }
  return changed;
}

/** A result into its probe's minute, hour and day slots; the node's open minute follows. */
function addResult(n: NodeMem, p: ProbeMem, r: ProbeResult, rowid: number, clock: number, loadMinute: LevelLoad): void {
  const at = r.at;
  let slot: MinuteSlot | undefined, minute: number;
  // Range tests before a modulo: epoch ms are doubles, and their % was a visible share of ingest
  // (bun --cpu-prof, docs/benchmarks.md); nearly every result goes where the last one went.
  if (p.cur !== undefined && at >= p.curT && at < p.curT + MINUTE) {
    slot = p.cur;
    minute = p.curT;
  } else {
    minute = at - (at % MINUTE);
    slot = p.minutes.get(minute);
    if (!slot) {
      const stored = minute <= p.persistedMax ? loadMinute("minutes", n.id, p.name, minute) : undefined;
      p.minutes.set(minute, slot = stored ? slotFromAgg(stored) : emptySlot(p.cur?.hist));
      // A probe's results arrive in time order: its minutes before this one are over.
      foldMinutes(p, loadMinute, minute);
    }
    p.cur = slot;
    p.curT = minute;
  }
  if (slot.folded) {
    const h = levelSlot(p.hours, minute, HOUR, loadMinute, "hours", n.id, p.name);
    const dd = levelSlot(p.days, minute, DAY, loadMinute, "days", n.id, p.name);
    addTo3(slot, h, dd, r);
    addToRollup(h, minute);
    addToRollup(dd, minute);
  } else addTo1(slot, r);
  if (minute > n.newestMinute || (minute === n.newestMinute && n.newestSince === undefined)) {
    n.newestMinute = minute;
    n.newestSince = rowid;
    n.newestSinceAt = clock;
  }
  if (!p.queued) {
    p.queued = true;
    n.dirtyMinutes.add(p);
  }
}

/**
 * Add a probe's minutes before `before` that are not yet in its hour and day slots to them.
 *
 * Why: a result went to its minute, hour and day at once, three histogram increments and two
 * slot lookups per result on three typed arrays (bun --cpu-prof, docs/benchmarks.md: ~12 % of
 * ingest CPU with 5 s batches, most of it cache misses). Now it goes to its minute only, and the
 * minute is merged into the hour and day once: when the probe's next minute begins, before any
 * hour or day row of the probe is written (sqlite_store.ts writeRollups: all but the node's open
 * minute) and before an hour or day is read from memory (all). A result for a minute already
 * folded (a late one) goes to all three as before. So the hour and day slots hold exactly the
 * folded minutes, and the rows written from them (rollupWrite) the minutes up to `rowThrough`.
 */
export function foldMinutes(p: ProbeMem, load: LevelLoad, before = Infinity): void {
  for (const [t, s] of p.minutes) {
    if (s.folded || t >= before) continue;
    s.folded = true;
    if (s.count === 0) continue;
    const h = levelSlot(p.hours, t, HOUR, load, "hours", p.node, p.name);
    const d = levelSlot(p.days, t, DAY, load, "days", p.node, p.name);
    h.count += s.count;
    d.count += s.count;
    h.ok += s.ok;
    d.ok += s.ok;
    if (s.failures) {
      addFailures(h, s.failures);
      addFailures(d, s.failures);
    }
    mergeDense(h.hist, s.hist, d.hist);
    h.dirty = d.dirty = true;
    addToRollup(h, t);
    addToRollup(d, t);
  }
}

/**
 * Only the minute, hour and day slots of a batch's results (a replay rebuilding the open minutes
 * from journal rows whose counters and acks the node's written state already holds).
 */
export function applyMinutes(m: ReadModel, agentId: string, rowid: number, now: number, clock: number, d: BatchDelta, loadMinute: LevelLoad): void {
  const n = m.nodes.get(agentId);
  if (!n) return;
  for (const r of d.results) {
    let p = n.probes.get(r.probe);
    if (!p) n.probes.set(r.probe, p = newProbeMem(agentId, r.probe));
    addResult(n, p, r, rowid, clock, loadMinute);
  }
  if (!m.dirty.has(agentId)) m.dirty.set(agentId, { rowid, at: now });
}

// Every slot, probe, level and node is made with all its fields, in one order: objects of one
// shape keep the hot paths' property accesses monomorphic (fields added later were measured as
// ~3 % of ingest CPU in levelSlot alone, bun --cpu-prof).
const emptySlot = (like?: DenseSketch): MinuteSlot => ({
  count: 0, ok: 0, failures: undefined, hist: like ? newDenseSketchLike(like) : newDenseSketch(), dirty: false, rowThrough: undefined, maxMinute: undefined, late: false,
  folded: false,
});
const newLevel = (persistedMax: number): RollupLevel => ({ slots: new Map(), persistedMax, cur: undefined, curT: undefined });

export type LevelLoad = (level: Level, node: string, probe: string, t: number) => MinuteAgg | StoredRollup | undefined;

/**
 * The level's slot holding `minute` (its period `span` long), read from its table first when it
 * may be there (no closure per call: this runs per result of every batch).
 */
function levelSlot(l: RollupLevel, minute: number, span: number, load: LevelLoad, level: Level, node: string, probe: string): MinuteSlot {
  if (l.cur && minute >= l.curT! && minute < l.curT! + span) return l.cur;
  const t = minute - (minute % span);
  let slot = l.slots.get(t);
  if (!slot) {
    const stored = t <= l.persistedMax ? load(level, node, probe, t) : undefined;
    l.slots.set(t, slot = stored ? slotFromAgg(stored) : emptySlot());
  }
  l.cur = slot;
  l.curT = t;
  return slot;
}

/** What `rollupWrite` needs: the newest minute, and whether the row already held this one. */
function addToRollup(s: MinuteSlot, minute: number): void {
  if (minute <= (s.rowThrough ?? -Infinity)) s.late = true;
  if (minute > (s.maxMinute ?? -Infinity)) s.maxMinute = minute;
}

/**
 * Add a batch's results to the fleet-wide rollups of their probe names: into the name's pending
 * minutes only (one histogram add per latency); `foldFleet` adds them to the minute, hour and day
 * slots before those are written or read. Adding each latency to all three at once was ~5 % of
 * ingest CPU with 5 s batches (bun --cpu-prof, docs/benchmarks.md); a fold is one merge per
 * probe name and minute, about once a second.
 */
export function applyFleet(m: ReadModel, d: BatchDelta): void {
  let name = "", f: FleetProbe | undefined, t = NaN, slot: MinuteSlot | undefined;
  const rs = d.results;
  for (let k = 0; k < rs.length; k++) {
    const r = rs[k];
    if (r.probe !== name || !f) {
      name = r.probe;
      f = m.fleet.get(name);
      if (!f) {
        f = { minutes: newLevel(Infinity), hours: newLevel(Infinity), days: newLevel(Infinity), pending: new Map() };
        m.fleet.set(name, f);
      }
      slot = undefined;
    }
    if (!slot || !(r.at >= t && r.at < t + MINUTE)) {
      t = r.at - (r.at % MINUTE);
      slot = f.pending.get(t);
      if (!slot) f.pending.set(t, slot = emptySlot());
    }
    slot.count++;
    if (r.ok) slot.ok++;
    else addFailure(slot, r.failure?.kind ?? "local");
    addDense(slot.hist, r.latencyUs);
  }
}

/**
 * Add every probe name's pending minutes to its minute, hour and day slots. Every slot is read
 * from its table when first made (a handful per probe name and minute), so the rows stay whole
 * across restarts.
 * @returns whether anything was pending
 */
export function foldFleet(m: ReadModel, load: (level: Level, probe: string, t: number) => MinuteAgg | undefined): boolean {
  let any = false;
  const fleetLoad: LevelLoad = (level, _node, probe, t) => load(level, probe, t);
  for (const [name, f] of m.fleet) {
    if (f.pending.size === 0) continue;
    any = true;
    for (const [minute, add] of f.pending) {
      mergeSlot(levelSlot(f.minutes, minute, MINUTE, fleetLoad, "minutes", "", name), add);
      mergeSlot(levelSlot(f.hours, minute, HOUR, fleetLoad, "hours", "", name), add);
      mergeSlot(levelSlot(f.days, minute, DAY, fleetLoad, "days", "", name), add);
    }
    f.pending.clear();
  }
  return any;
}

function mergeSlot(into: MinuteSlot, from: MinuteSlot): void {
  into.count += from.count;
  into.ok += from.ok;
  if (from.failures) addFailures(into, from.failures);
  mergeDense(into.hist, from.hist);
  into.dirty = true;
}

/** After the fleet rollups were written: keep each level's newest slot. */
export function settleFleet(f: FleetProbe): void {
  settleSlots(f.minutes.slots, Infinity);
  settleSlots(f.hours.slots, Infinity);
  settleSlots(f.days.slots, Infinity);
  f.minutes.cur = f.hours.cur = f.days.cur = undefined;
}

/**
 * After every dirty slot was written: keep only the newest slot in memory.
 * @returns the new persisted maximum (+Infinity stays: unknown until a restart's reads are done)
 */
function settleSlots(slots: Map<number, MinuteSlot>, persistedMax: number): number {
  if (slots.size === 1) {
    // The common case: only the newest, nothing to delete.
    for (const [k, slot] of slots) {
      slot.dirty = false;
      return persistedMax !== Infinity && k > persistedMax ? k : persistedMax;
    }
  }
  let newest = -Infinity;
  for (const k of slots.keys()) if (k > newest) newest = k;
  for (const [k, slot] of slots) {
    if (k !== newest) slots.delete(k);
    else slot.dirty = false;
  }
  return persistedMax !== Infinity && newest > persistedMax ? newest : persistedMax;
}

/**
 * After a probe's dirty slots before `openFrom` were written (the node's open minute waits for
 * its close, collector/sqlite_store.ts): its newest minute, hour and day stay in memory.
 * @returns whether a slot is still unwritten (the open minute)
 */
export function settleMinutes(p: ProbeMem, openFrom = Infinity): boolean {
  let open = false;
  if (openFrom === Infinity) p.persistedMax = settleSlots(p.minutes, p.persistedMax);
  else {
    let newest = -Infinity, written = -Infinity;
    for (const [t, slot] of p.minutes) {
      if (t > newest) newest = t;
      if (t < openFrom) {
        slot.dirty = false;
        if (t > written) written = t;
      } else if (slot.dirty) open = true;
    }
    for (const t of p.minutes.keys()) if (t !== newest && t < openFrom) p.minutes.delete(t);
    if (p.persistedMax !== Infinity && written > p.persistedMax) p.persistedMax = written;
  }
  p.hours.persistedMax = settleSlots(p.hours.slots, p.hours.persistedMax);
  p.days.persistedMax = settleSlots(p.days.slots, p.days.persistedMax);
  p.hours.cur = p.days.cur = undefined;
  // The last minute stays the cached one while memory holds it (it is the newest, nearly always).
  if (p.cur !== undefined && p.minutes.get(p.curT) !== p.cur) {
    p.cur = undefined;
    p.curT = NaN;
  }
  return open;
}

export function probeView(p: ProbeMem): ProbeView {
  return {
    name: p.name,
    kind: p.kind,
    state: p.state,
    ...(p.stateSince !== undefined ? { stateSince: p.stateSince } : {}),
    ...(p.last
      ? { last: { at: p.last.at, ok: p.last.ok, latencyMs: p.last.latencyUs / 1000, ...(p.last.failure ? { failure: p.last.failure } : {}) } }
      : {}),
    ...(p.facts ? { facts: p.facts } : {}),
    peerRestarts: p.peerRestarts,
    okTotal: p.okTotal,
    failTotal: p.failTotal,
  };
}

export function nodeSummary(n: NodeMem): NodeSummary {
  let healthy = 0, unhealthy = 0, unknown = 0;
  for (const p of n.probes.values()) {
    if (p.state === "healthy") healthy++;
    else if (p.state === "unhealthy") unhealthy++;
    else unknown++;
  }
  return {
    id: n.id,
    labels: n.labels,
    ...(n.version ? { version: n.version } : {}),
    bootId: n.bootId,
    firstSeen: n.firstSeen,
    lastSeen: n.lastSeen,
    ...(n.lastRecordAt !== undefined ? { lastRecordAt: n.lastRecordAt } : {}),
    ...(n.verdict ? { verdict: n.verdict } : {}),
    running: n.running,
    probes: { total: healthy + unhealthy + unknown, healthy, unhealthy, unknown },
    peerRestarts: n.peerRestarts,
    spoolDrops: n.spoolDrops,
  };
}

/**
 * Forget nodes and streams (also old boots of live nodes) last seen before `before`: a retired
 * node no longer counts in the fleet views or memory. Their minutes stay until retention prunes
 * them. Returns what went, for the tables.
 */
export function retireFromModel(m: ReadModel, before: number): { readonly nodes: string[]; readonly streams: StreamMem[] } {
  const nodes: string[] = [];
  for (const n of m.nodes.values()) {
    if (n.lastSeen >= before) continue;
    nodes.push(n.id);
    m.nodes.delete(n.id);
    m.dirty.delete(n.id);
  }
  const streams: StreamMem[] = [];
  for (const [k, s] of m.streams) {
    if (s.lastSeen >= before) continue;
    streams.push(s);
    m.streams.delete(k);
    m.nodes.get(s.agentId)?.dirtyStreams.delete(s);
  }
  return { nodes: nodes.sort(), streams };
}
