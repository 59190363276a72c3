/**
 * @module The fleet as every collector sees it: the `node.<agent>` entries of the shared bucket,
 * kept in memory, answering the fleet API, node pages, /metrics and SSE without touching the
 * telemetry stream. docs/scale-out.md, "Shared fleet state".
 */
import { decodeEntry, entryChanges, type NodeEntry, summaryOf } from "./jetstream_entry.ts";
import type { FleetChange, NodeDetail, NodeSummary, ProbeView, StoreStats } from "./store.ts";

export interface FleetView {
  /** Apply one entry of the bucket (`undefined` = deleted), in bucket order. */
  apply(agentToken: string, bytes: Uint8Array | undefined, revision: number): void;
  entry(agentId: string): { readonly entry: NodeEntry; readonly revision: number } | undefined;
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

export function createFleetView(deps: { log: (msg: string, fields: Record<string, unknown>) => void }): FleetView {
  /** By agent id. */
  const nodes = new Map<string, { entry: NodeEntry; revision: number }>();
  /** Key token → agent id (a delete names only the key). */
  const byToken = new Map<string, string>();
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

  return {
    apply(token, bytes, rev) {
      if (rev > revision) revision = rev;
      if (!bytes) {
        const id = byToken.get(token);
        if (id !== undefined) nodes.delete(id);
        byToken.delete(token);
        return;
      }
      let entry: NodeEntry;
      try {
        entry = decodeEntry(bytes);
      } catch (e) {
        deps.log("collector: skipping a node entry that does not decode", { key: token, error: (e as Error).message });
        return;
      }
      const prev = nodes.get(entry.node.id);
      if (prev && prev.revision >= rev) return;
      nodes.set(entry.node.id, { entry, revision: rev });
      byToken.set(token, entry.node.id);
      if (listeners.size > 0) emit(entryChanges(prev?.entry.node, entry.node));
    },
    entry: (id) => nodes.get(id),
    fleet: () => [...nodes.values()].map((n) => summaryOf(n.entry.node)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    node: (id) => nodes.get(id)?.entry.node,
    probes: () => {
      const out: { node: string; probe: ProbeView }[] = [];
      for (const id of [...nodes.keys()].sort()) for (const probe of nodes.get(id)!.entry.node.probeList) out.push({ node: id, probe });
      return out;
    },
    stats: () => {
      let records = 0, duplicates = 0, gapRecords = 0;
      for (const { entry } of nodes.values()) {
        records += entry.records;
        duplicates += entry.duplicates;
        gapRecords += entry.gap;
      }
      return { nodes: nodes.size, records, duplicates, gapRecords };
    },
    prune(before) {
      let n = 0;
      for (const [id, { entry }] of nodes) {
        if (entry.node.lastSeen < before) {
          nodes.delete(id);
          n++;
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
