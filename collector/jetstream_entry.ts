/**
 * @module `node.<agent>` entries of the shared bucket: one node's view as written by the owner of
 * its partition and read by every collector, and the fleet changes (SSE) between two versions of
 * an entry. Pure. docs/scale-out.md, "Shared fleet state".
 */
import type { EventView, FleetChange, NodeDetail, NodeSummary } from "./store.ts";

export interface NodeEntry {
  /** Format version. */
  readonly v: 1;
  /** Partition of the node (the writer's lease). */
  readonly p: number;
  /** Collector that wrote it. */
  readonly by: string;
  readonly node: NodeDetail;
  /** Records the owners applied for this node, replays of a range already applied, and seqs skipped. */
  readonly records: number;
  readonly duplicates: number;
  readonly gap: number;
}

const dec = new TextDecoder();
const enc = new TextEncoder();

export const encodeEntry = (e: NodeEntry): Uint8Array => enc.encode(JSON.stringify(e));

/** @throws {Error} "Cannot decode node entry …" */
export function decodeEntry(bytes: Uint8Array): NodeEntry {
  let e: NodeEntry;
  try {
    e = JSON.parse(dec.decode(bytes));
  } catch (err) {
    throw new Error(`Cannot decode node entry: not JSON (${(err as Error).message})`, { cause: err });
  }
  if (e?.v !== 1 || typeof e.node?.id !== "string" || !Array.isArray(e.node.probeList)) throw new Error(`Cannot decode node entry: unknown shape (v ${String(e?.v)})`);
  return e;
}

/** The summary of a detail (what `/api/v1/fleet` lists). */
export function summaryOf(d: NodeDetail): NodeSummary {
  const { probeList: _p, events: _e, ...s } = d;
  return s;
}

/**
 * What SSE publishes when a node's entry goes from `prev` to `next`: the node when it is new or
 * its boot, verdict, version, labels or running flag changed (as the SQLite store does), every
 * probe whose state changed, and every event not in `prev`, oldest first.
 */
export function entryChanges(prev: NodeDetail | undefined, next: NodeDetail): FleetChange[] {
  const out: FleetChange[] = [];
  if (
    !prev || prev.bootId !== next.bootId || prev.verdict !== next.verdict || prev.version !== next.version ||
    prev.running !== next.running || JSON.stringify(prev.labels) !== JSON.stringify(next.labels)
  ) out.push({ type: "node", node: summaryOf(next) });
  const before = new Map(prev?.probeList.map((p) => [p.name, p]) ?? []);
  for (const p of next.probeList) {
    const from = before.get(p.name)?.state ?? "unknown";
    if (p.state !== from) out.push({ type: "probe-state", node: next.id, probe: p.name, from, to: p.state, at: p.stateSince ?? next.lastSeen });
  }
  const seen = new Set(prev?.events.map((e) => `${e.bootId}\u0000${e.seq}`) ?? []);
  const fresh: EventView[] = next.events.filter((e) => !seen.has(`${e.bootId}\u0000${e.seq}`));
  for (const e of fresh.reverse()) out.push({ type: "event", node: next.id, event: e });
  return out;
}
