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
import type { Facts } from "../probes/types.ts";
import { addMinute, type BatchDelta, type MinuteAgg, newMinuteAgg } from "./batch_aggregate.ts";
import type { LastResult, NodeSummary, ProbeView } from "./store.ts";

export interface StreamMem {
  readonly agentId: string;
  readonly bootId: string;
  acked: number;
  drops: number;
  firstSeen: number;
  lastSeen: number;
  gap: number;
}

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
}

export interface MinuteSlot {
  readonly agg: MinuteAgg;
  dirty: boolean;
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
}

export interface ReadModel {
  readonly streams: Map<string, StreamMem>;
  readonly nodes: Map<string, NodeMem>;
  /**
   * Nodes with unwritten state, oldest first: the journal rowid of the first batch not yet
   * written (so everything below the first entry's rowid is in the tables) and when.
   */
  readonly dirty: Map<string, { readonly rowid: number; readonly at: number }>;
}

export function newReadModel(): ReadModel {
  return { streams: new Map(), nodes: new Map(), dirty: new Map() };
}

export function newNodeMem(id: string, bootId: string, at: number): NodeMem {
  return { id, labels: {}, bootId, firstSeen: at, lastSeen: at, running: true, spoolDrops: 0, peerRestarts: 0, probes: new Map(), dirtyStreams: new Set(), dirtyMinutes: new Set() };
}

export const streamKey = (agentId: string, bootId: string) => `${agentId}\u0000${bootId}`;

export function newProbeMem(node: string, name: string): ProbeMem {
  return { node, name, kind: "", state: "unknown", peerRestarts: 0, okTotal: 0, failTotal: 0, minutes: new Map(), persistedMax: -Infinity };
}

/** What `applyBatch` needs besides the delta. */
export interface Applied {
  readonly agentId: string;
  readonly bootId: string;
  /** The new ack (last seq of the batch). */
  readonly ack: number;
  readonly gap: number;
  readonly receivedAt: number;
  /** The batch's journal row. */
  readonly rowid: number;
  /** Wall clock, for how long a node stays dirty. */
  readonly now: number;
}

/**
 * Apply a durable batch's delta. `loadMinute` reads a minute already persisted (a late record,
 * or the open minute after a restart) so a slot always holds the whole minute.
 * @returns whether the node's summary changed in a way subscribers hear about (new node, boot,
 *   verdict, version, running).
 */
export function applyBatch(m: ReadModel, a: Applied, d: BatchDelta, loadMinute: (node: string, probe: string, minute: number) => MinuteAgg | undefined): boolean {
  const key = streamKey(a.agentId, a.bootId);
  let s = m.streams.get(key);
  if (!s) m.streams.set(key, s = { agentId: a.agentId, bootId: a.bootId, acked: 0, drops: 0, firstSeen: a.receivedAt, lastSeen: a.receivedAt, gap: 0 });
  const dropsBefore = s.drops;
  s.acked = a.ack;
  s.drops = d.drops;
  s.lastSeen = a.receivedAt;
  s.gap += a.gap;

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
  n.spoolDrops += d.drops - dropsBefore;
  n.peerRestarts += d.peerRestarts;

  for (const [name, pd] of d.probes) {
    let p = n.probes.get(name);
    if (!p) n.probes.set(name, p = newProbeMem(a.agentId, name));
    if (pd.kind !== undefined) p.kind = pd.kind;
    if (pd.state !== undefined) p.state = pd.state;
    if (pd.stateSince !== undefined) p.stateSince = pd.stateSince;
    if (pd.last) {
      const l = pd.last;
      p.last = { at: l.at, ok: l.ok, latencyUs: l.latencyUs, ...(l.failure ? { failure: l.failure } : {}) };
    }
    if (pd.facts) p.facts = pd.facts;
    p.peerRestarts += pd.restarts;
    p.okTotal += pd.ok;
    p.failTotal += pd.fail;
    if (pd.minutes.size === 0) continue;
    for (const [minute, agg] of pd.minutes) {
      let slot = p.minutes.get(minute);
      if (!slot) {
        const stored = minute <= p.persistedMax ? loadMinute(a.agentId, name, minute) : undefined;
        p.minutes.set(minute, slot = { agg: stored ?? newMinuteAgg(), dirty: false });
      }
      addMinute(slot.agg, agg);
      slot.dirty = true;
    }
    n.dirtyMinutes.add(p);
  }
  return changed;
}

/** After every dirty slot was written: keep only the probe's newest minute in memory. */
export function settleMinutes(p: ProbeMem): void {
  let newest = -Infinity;
  for (const k of p.minutes.keys()) if (k > newest) newest = k;
  for (const [k, slot] of p.minutes) {
    if (k !== newest) p.minutes.delete(k);
    else slot.dirty = false;
  }
  if (p.persistedMax !== Infinity && newest > p.persistedMax) p.persistedMax = newest;
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
