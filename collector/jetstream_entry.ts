/**
 * @module `node.<agent>` and `node.<agent>.ev` entries of the shared bucket: one node's view as
 * written by the owner of its partition and read by every collector, and the fleet changes (SSE)
 * between two versions. Pure. docs/scale-out.md, "Shared fleet state".
 *
 * The recent events (up to 50, about three quarters of a node's JSON with 10 probes) live in
 * their own entry, written only when they change: the node entry, rewritten at every state change
 * and at most every `store.routineEvery` for new results, is then parsed by every collector's view at about a
 * third of the cost (34 → 11 µs per node write applied by a view, bench/nats_entry.ts). Version 1
 * entries (events inside the node) are still read.
 */
import type { EventView, FleetChange, NodeDetail, NodeSummary } from "./store.ts";

export interface NodeEntry {
  /** Format version: 2 (events in `node.<agent>.ev`); 1 carried them in `node.events`. */
  readonly v: 1 | 2;
  /** Partition of the node (the writer's lease). */
  readonly p: number;
  /** Collector that wrote it. */
  readonly by: string;
  /** 1: a routine entry (only new results since the previous one). */
  readonly r?: 1;
  /** The node without its events (version 2; `events` is `[]` there). */
  readonly node: NodeDetail;
  /** Records the owners applied for this node, replays of a range already applied, and seqs skipped. */
  readonly records: number;
  readonly duplicates: number;
  readonly gap: number;
}

/** Value of `node.<agent>.ev`: the node's recent events, newest first. */
export interface EventsEntry {
  readonly v: 2;
  readonly id: string;
  readonly by: string;
  readonly events: readonly EventView[];
}

const dec = new TextDecoder();
const enc = new TextEncoder();

/**
 * Version 2: the node is written without its events (they go to `encodeEvents`). A `routine`
 * entry (the owner saw only new results: no state, verdict, event or boot change) begins with
 * `{"r":1,`, so a view can keep it unparsed until it is read (collector/jetstream_view.ts).
 */
export const encodeEntry = (e: NodeEntry, routine = false): Uint8Array => {
  const { events: _e, ...node } = e.node;
  const { r: _r, ...rest } = e;
  return enc.encode(JSON.stringify(routine ? { r: 1, ...rest, v: 2, node } : { ...rest, v: 2, node }));
};

export const encodeEvents = (e: EventsEntry): Uint8Array => enc.encode(JSON.stringify(e));

const parse = <T>(bytes: Uint8Array, what: string): T => {
  try {
    return JSON.parse(dec.decode(bytes));
  } catch (err) {
    throw new Error(`Cannot decode ${what}: not JSON (${(err as Error).message})`, { cause: err });
  }
};

/** @throws {Error} "Cannot decode node entry …" */
export function decodeEntry(bytes: Uint8Array): NodeEntry {
  const e = parse<NodeEntry & { node: NodeDetail & { events?: EventView[] } }>(bytes, "node entry");
  if ((e?.v !== 1 && e?.v !== 2) || typeof e.node?.id !== "string" || !Array.isArray(e.node.probeList)) throw new Error(`Cannot decode node entry: unknown shape (v ${String(e?.v)})`);
  if (!Array.isArray(e.node.events)) (e.node as { events: EventView[] }).events = [];
  return e;
}

/** @throws {Error} "Cannot decode events entry …" */
export function decodeEvents(bytes: Uint8Array): EventsEntry {
  const e = parse<EventsEntry>(bytes, "events entry");
  if (e?.v !== 2 || typeof e.id !== "string" || !Array.isArray(e.events)) throw new Error(`Cannot decode events entry: unknown shape (v ${String(e?.v)})`);
  return e;
}

/** What identifies a node's event list (newest first, capped): its length and newest event. */
export const eventsMark = (events: readonly EventView[]): string =>
  events.length === 0 ? "" : `${events.length}\u0000${events[0].bootId}\u0000${events[0].seq}`;

/** The summary of a detail (what `/api/v1/fleet` lists). */
export function summaryOf(d: NodeDetail): NodeSummary {
  const { probeList: _p, events: _e, ...s } = d;
  return s;
}

const sameLabels = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>) => {
  const ka = Object.keys(a), kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i] || a[ka[i]] !== b[ka[i]]) return false;
  return true;
};

/**
 * What SSE publishes when a node goes from `prev` to `next`, its events aside: the node when it is
 * new or its boot, verdict, version, labels or running flag changed (as the SQLite store does), and
 * every probe whose state changed.
 */
export function nodeChanges(prev: NodeDetail | undefined, next: NodeDetail): FleetChange[] {
  const out: FleetChange[] = [];
  if (
    !prev || prev.bootId !== next.bootId || prev.verdict !== next.verdict || prev.version !== next.version ||
    prev.running !== next.running || !sameLabels(prev.labels, next.labels)
  ) out.push({ type: "node", node: summaryOf(next) });
  const before = prev?.probeList;
  for (let i = 0; i < next.probeList.length; i++) {
    const p = next.probeList[i];
    // Probe lists come sorted by name from the read model: compare in place, search only on a miss.
    const was = before?.[i]?.name === p.name ? before[i] : before?.find((b) => b.name === p.name);
    const from = was?.state ?? "unknown";
    if (p.state !== from) out.push({ type: "probe-state", node: next.id, probe: p.name, from, to: p.state, at: p.stateSince ?? next.lastSeen });
  }
  return out;
}

/** Every event of `next` not in `prev`, oldest first. */
export function eventChanges(node: string, prev: readonly EventView[] | undefined, next: readonly EventView[]): FleetChange[] {
  if (prev && eventsMark(prev) === eventsMark(next)) return [];
  const seen = new Set(prev?.map((e) => `${e.bootId}\u0000${e.seq}`) ?? []);
  const fresh: EventView[] = next.filter((e) => !seen.has(`${e.bootId}\u0000${e.seq}`));
  return fresh.reverse().map((event) => ({ type: "event", node, event }));
}

/** `nodeChanges` and then `eventChanges` of two full details. */
export function entryChanges(prev: NodeDetail | undefined, next: NodeDetail): FleetChange[] {
  return [...nodeChanges(prev, next), ...eventChanges(next.id, prev?.events, next.events)];
}
