/**
 * @module The fleet as every collector sees it: the `node.<agent>` and `node.<agent>.ev` entries of
 * the shared bucket, kept in memory, answering the fleet API, node pages, /metrics and SSE without
 * touching the telemetry stream. docs/scale-out.md, "Shared fleet state".
 */
import { decodeEntry, decodeEvents, eventChanges, type NodeEntry, nodeChanges, summaryOf } from "./jetstream_entry.ts";
import type { EventView, FleetChange, NodeDetail, NodeSummary, ProbeView, StoreStats } from "./store.ts";

export interface FleetView {
  /**
   * Apply one entry of the bucket (`undefined` = deleted), in bucket order. `key` is the part after
   * `node.`: `<agent token>` for the node, `<agent token>.ev` for its events.
   */
  apply(key: string, bytes: Uint8Array | undefined, revision: number): void;
  entry(agentId: string): { readonly entry: NodeEntry; readonly revision: number } | undefined;
  /** Revision of the node's events entry, when the view holds one. */
  eventsRevision(agentId: string): number | undefined;
  fleet(): NodeSummary[];
  node(id: string): NodeDetail | undefined;
  probes(): { readonly node: string; readonly probe: ProbeView }[];
  stats(): StoreStats;
  /** Forget nodes whose last record arrived before `before` (their entries expired from the bucket). */
  prune(before: number): number;
  subscribe(listener: (c: FleetChange) => void): () => void;
  /** Highest bucket revision applied. */
  revision(): number;
}

interface Held {
  entry?: NodeEntry;
  revision: number;
  /** A routine entry (new results only) kept as bytes until a read or the next entry needs it. */
  routine?: Uint8Array;
  events?: readonly EventView[];
  evRevision: number;
}

const EV = ".ev";
/** How a routine node entry begins (collector/jetstream_entry.ts `encodeEntry`). */
const ROUTINE = new TextEncoder().encode('{"r":1,');
const isRoutine = (b: Uint8Array) => {
  if (b.length < ROUTINE.length) return false;
  for (let i = 0; i < ROUTINE.length; i++) if (b[i] !== ROUTINE[i]) return false;
  return true;
};

export function createFleetView(deps: { log: (msg: string, fields: Record<string, unknown>) => void }): FleetView {
  /** By agent id. */
  const nodes = new Map<string, Held>();
  /** Key → agent id (a delete names only the key). */
  const byKey = new Map<string, string>();
  const listeners = new Set<(c: FleetChange) => void>();
  let revision = 0;

  const emit = (changes: FleetChange[]) => {
    for (const c of changes) {
      for (const l of listeners) {
        try {
          l(c);
        } catch {
          // a listener's failure must not stop the view
        }
      }
    }
  };
  const eventsOf = (h: Held) => h.events ?? h.entry?.node.events ?? [];
  /** Nodes holding a routine entry not parsed yet. */
  const lazy = new Set<Held>();
  /**
   * Parse the node's routine entry. Its changes (normally none: the owner marks an entry routine
   * only when no state, verdict, event or boot changed) are published after the read that asked,
   * never inside it.
   */
  const settle = (h: Held) => {
    const bytes = h.routine;
    if (!bytes) return;
    h.routine = undefined;
    lazy.delete(h);
    let entry: NodeEntry;
    try {
      entry = decodeEntry(bytes);
    } catch (e) {
      deps.log("collector: skipping a node entry that does not decode", { error: (e as Error).message });
      return;
    }
    const prev = h.entry;
    h.entry = entry;
    if (listeners.size > 0 && prev) {
      const changes = nodeChanges(prev.node, entry.node);
      if (changes.length > 0) queueMicrotask(() => emit(changes));
    }
  };
  const settleAll = () => {
    for (const h of [...lazy]) settle(h);
  };
  const held = (id: string) => {
    let h = nodes.get(id);
    if (!h) nodes.set(id, h = { revision: 0, evRevision: 0 });
    return h;
  };

  const applyEvents = (key: string, bytes: Uint8Array | undefined, rev: number) => {
    if (!bytes) {
      const id = byKey.get(key);
      const h = id === undefined ? undefined : nodes.get(id);
      if (h) (h.events = undefined, h.evRevision = rev);
      byKey.delete(key);
      return;
    }
    let e;
    try {
      e = decodeEvents(bytes);
    } catch (err) {
      deps.log("collector: skipping an events entry that does not decode", { key, error: (err as Error).message });
      return;
    }
    const h = held(e.id);
    if (h.evRevision >= rev) return;
    const before = h.entry ? eventsOf(h) : undefined;
    h.events = e.events;
    h.evRevision = rev;
    byKey.set(key, e.id);
    if (listeners.size > 0 && h.entry) emit(eventChanges(e.id, before, e.events));
  };

  return {
    apply(key, bytes, rev) {
      if (rev > revision) revision = rev;
      if (key.endsWith(EV)) return applyEvents(key, bytes, rev);
      if (!bytes) {
        const id = byKey.get(key);
        const h = id === undefined ? undefined : nodes.get(id);
        if (h) lazy.delete(h);
        if (id !== undefined) nodes.delete(id);
        byKey.delete(key);
        return;
      }
      // A routine entry of a node in view: kept unparsed (each collector parsed every node write of
      // the cluster, about one per batch in bench/fleet); the newest one is parsed when read.
      const known = byKey.get(key);
      const k = known === undefined ? undefined : nodes.get(known);
      if (k?.entry && isRoutine(bytes)) {
        if (k.revision >= rev) return;
        k.routine = bytes;
        k.revision = rev;
        lazy.add(k);
        return;
      }
      let entry: NodeEntry;
      try {
        entry = decodeEntry(bytes);
      } catch (e) {
        deps.log("collector: skipping a node entry that does not decode", { key, error: (e as Error).message });
        return;
      }
      const h = held(entry.node.id);
      if (h.entry && h.revision >= rev) return;
      settle(h);
      const prev = h.entry;
      h.entry = entry;
      h.revision = rev;
      byKey.set(key, entry.node.id);
      if (listeners.size > 0) {
        const changes = nodeChanges(prev?.node, entry.node);
        // A version 1 entry carries its events; a new node shows the events already in view.
        if (entry.v === 1) changes.push(...eventChanges(entry.node.id, prev ? eventsOf({ ...h, entry: prev, events: h.events }) : undefined, entry.node.events));
        else if (!prev && h.events) changes.push(...eventChanges(entry.node.id, undefined, h.events));
        if (changes.length > 0) emit(changes);
      }
    },
    entry: (id) => {
      const h = nodes.get(id);
      if (h) settle(h);
      return h?.entry ? { entry: h.entry, revision: h.revision } : undefined;
    },
    eventsRevision: (id) => {
      const h = nodes.get(id);
      return h?.events ? h.evRevision : undefined;
    },
    fleet: () => {
      settleAll();
      const out: NodeSummary[] = [];
      for (const h of nodes.values()) if (h.entry) out.push(summaryOf(h.entry.node));
      return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },
    node: (id) => {
      const h = nodes.get(id);
      if (h) settle(h);
      return h?.entry ? { ...h.entry.node, events: eventsOf(h) } : undefined;
    },
    probes: () => {
      settleAll();
      const out: { node: string; probe: ProbeView }[] = [];
      for (const id of [...nodes.keys()].sort()) {
        const e = nodes.get(id)!.entry;
        if (e) for (const probe of e.node.probeList) out.push({ node: id, probe });
      }
      return out;
    },
    stats: () => {
      settleAll();
      let n = 0, records = 0, duplicates = 0, gapRecords = 0;
      for (const { entry } of nodes.values()) {
        if (!entry) continue;
        n++;
        records += entry.records;
        duplicates += entry.duplicates;
        gapRecords += entry.gap;
      }
      return { nodes: n, records, duplicates, gapRecords };
    },
    prune(before) {
      settleAll();
      let n = 0;
      for (const [id, { entry }] of nodes) {
        if (!entry || entry.node.lastSeen < before) {
          nodes.delete(id);
          if (entry) n++;
        }
      }
      return n;
    },
    subscribe(l) {
      listeners.add(l);
      return () => void listeners.delete(l);
    },
    revision: () => revision,
  };
}
