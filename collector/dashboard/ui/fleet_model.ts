/**
 * @module The dashboard's view model: pure functions from the collector's fleet API shapes
 * (collector/store.ts) to what the page draws. No DOM, no fetch, so it is unit-tested under Bun
 * and Deno and bundled for the browser by scripts/build_dashboard.ts.
 */
import type { FleetChange, NodeDetail, NodeSummary, ProbeView } from "../../store.ts";
import type { ProbeState, Verdict } from "../../../telemetry/wire_tables.ts";

/**
 * Fallback for how long a silent node stays current, when the collector does not say: the
 * collector's own `staleAfter` default (collector/config.ts). The collector marks each node of
 * the fleet endpoint `online`, and that flag wins.
 */
export const STALE_AFTER_MS = 120_000;

/** The fleet endpoint adds `online` (running and heard from within the collector's staleAfter). */
export type FleetSummary = NodeSummary & { readonly online?: boolean };

export function isStale(n: FleetSummary, now: number): boolean {
  if (!n.running || n.online === false) return true;
  return now - n.lastSeen > STALE_AFTER_MS;
}

/** A node's standing on the wall: its verdict, or NO DATA when it is stale, stopped or unknown. */
export type Standing = Verdict | "NO DATA";

/** Worst first: what needs eyes sorts to the top (issue 7: DOWN, DEGRADED, UP). */
const RANK: Readonly<Record<Standing, number>> = { DOWN: 0, DEGRADED: 1, "NO DATA": 2, UP: 3 };

/** What the grid keeps per node: the fleet summary plus the probe views from the node endpoint. */
export interface FleetNode {
  readonly summary: FleetSummary;
  /** Probe name → view; empty until the node's detail has been fetched. */
  readonly probes: Readonly<Record<string, ProbeView>>;
}

export type Fleet = Readonly<Record<string, FleetNode>>;

/**
 * The node's verdict. The agent sends a verdict record only when the verdict changes, and it
 * starts at UP, so a node that was UP from its first probe run has none: with no unhealthy probe
 * and at least one healthy one the agent's own rule (design.md "Health model") gives UP.
 */
export function verdictOf(n: NodeSummary): Verdict | undefined {
  if (n.verdict) return n.verdict;
  return n.probes.unhealthy === 0 && n.probes.healthy > 0 ? "UP" : undefined;
}

export function standing(n: FleetSummary, now: number): Standing {
  const v = verdictOf(n);
  if (isStale(n, now) || !v) return "NO DATA";
  return v;
}

export interface Counts {
  readonly UP: number;
  readonly DEGRADED: number;
  readonly DOWN: number;
  readonly "NO DATA": number;
}

export function countStandings(nodes: readonly FleetSummary[], now: number): Counts {
  const c = { UP: 0, DEGRADED: 0, DOWN: 0, "NO DATA": 0 };
  for (const n of nodes) c[standing(n, now)]++;
  return c;
}

/** Worst standing first, then most unhealthy probes, then id (stable for a wall screen). */
export function sortWorstFirst<T extends FleetSummary>(nodes: readonly T[], now: number): T[] {
  return [...nodes].sort((a, b) =>
    RANK[standing(a, now)] - RANK[standing(b, now)] ||
    b.probes.unhealthy - a.probes.unhealthy ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/** The label keys to offer as filters, region/site/role first, then any other key seen. */
export const PREFERRED_LABELS = ["region", "site", "role"] as const;

/** Label key → sorted distinct values present in the fleet. */
export function labelChoices(nodes: readonly NodeSummary[]): Array<{ key: string; values: string[] }> {
  const m = new Map<string, Set<string>>();
  for (const n of nodes) {
    for (const [k, v] of Object.entries(n.labels)) {
      if (!m.has(k)) m.set(k, new Set());
      m.get(k)!.add(v);
    }
  }
  const keys = [...m.keys()].sort((a, b) => {
    const ia = PREFERRED_LABELS.indexOf(a as never), ib = PREFERRED_LABELS.indexOf(b as never);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || (a < b ? -1 : 1);
  });
  return keys.map((key) => ({ key, values: [...m.get(key)!].sort() }));
}

/** Nodes whose labels match every set filter (an empty value means "any"). */
export function filterByLabels<T extends NodeSummary>(nodes: readonly T[], filters: Readonly<Record<string, string>>): T[] {
  const set = Object.entries(filters).filter(([, v]) => v !== "");
  return nodes.filter((n) => set.every(([k, v]) => n.labels[k] === v));
}

/** Grid columns: every probe name of the shown nodes, sorted. */
export function probeColumns(nodes: readonly FleetNode[]): string[] {
  const s = new Set<string>();
  for (const n of nodes) for (const p of Object.keys(n.probes)) s.add(p);
  return [...s].sort();
}

/** What one grid cell shows. `stale` draws the hatching over the state colour. */
export interface Cell {
  readonly state: ProbeState;
  readonly stale: boolean;
  /** Short text: latency of the last success, or the failure kind. */
  readonly text: string;
  /** Tooltip: the last error or result. */
  readonly title: string;
}

export function cellFor(node: FleetNode, probe: string, now: number): Cell | undefined {
  const p = node.probes[probe];
  if (!p) return undefined;
  const stale = isStale(node.summary, now);
  const last = p.last;
  let text: string;
  let title = `${node.summary.id} / ${probe} (${p.kind}): ${p.state}`;
  // The state may come from the event stream before the probe view (with its last result) is
  // refetched: never print a latency on a red cell or a failure on a green one.
  if (last && last.ok && p.state !== "unhealthy") text = formatMs(last.latencyMs);
  else if (last && !last.ok && p.state !== "healthy") text = last.failure?.kind ?? "failed";
  else text = p.state;
  if (last?.failure) title += ` — ${last.failure.kind}: ${last.failure.message ?? ""}`;
  if (stale) title += node.summary.running ? " — no recent data from the agent" : " — agent stopped";
  return { state: p.state, stale, text, title };
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "";
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms)} ms`;
}

/** "5 s ago", "3 min ago", for the node page. */
export function formatAgo(at: number | undefined, now: number): string {
  if (at === undefined) return "—";
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** The fleet from the fleet endpoint, keeping probe views already fetched. */
/**
 * The fresher of two summaries of one node. Fleet polls, detail fetches and the event stream
 * race: a poll answered just before an agent-stop was ingested can arrive after the event that
 * reported it, and must not bring the stopped node back to life. `lastSeen` is the collector's
 * receive time of the node's newest batch, so it orders them.
 */
export function fresher<T extends NodeSummary>(prev: NodeSummary | undefined, next: T): T | NodeSummary {
  return prev && prev.lastSeen > next.lastSeen ? prev : next;
}

export function withSummaries(fleet: Fleet, summaries: readonly NodeSummary[]): Fleet {
  const out: Record<string, FleetNode> = {};
  for (const s of summaries) out[s.id] = { summary: fresher(fleet[s.id]?.summary, s), probes: fleet[s.id]?.probes ?? {} };
  return out;
}

export function withDetail(fleet: Fleet, d: NodeDetail): Fleet {
  const { probeList, events: _events, ...summary } = d;
  const prev = fleet[d.id];
  // An older detail than what we hold changes nothing (see fresher()).
  if (prev && prev.summary.lastSeen > summary.lastSeen) return fleet;
  const probes: Record<string, ProbeView> = {};
  for (const p of probeList) probes[p.name] = p;
  return { ...fleet, [d.id]: { summary, probes } };
}

/** What a live change asks of the page besides the state update itself. */
export interface ChangeResult {
  readonly fleet: Fleet;
  /** A node the page knows too little about: fetch its detail (new node, new probe, peer restart). */
  readonly refetch?: string;
}

/** Apply one server-sent FleetChange. Never throws on an unknown shape: it is ignored. */
export function applyChange(fleet: Fleet, change: FleetChange): ChangeResult {
  switch (change.type) {
    case "node": {
      const prev = fleet[change.node.id];
      const next = { ...fleet, [change.node.id]: { summary: fresher(prev?.summary, change.node), probes: prev?.probes ?? {} } };
      // Counts that no longer match the probe views we hold mean a probe was added or removed.
      const known = prev ? Object.keys(prev.probes).length : -1;
      return { fleet: next, refetch: known !== change.node.probes.total ? change.node.id : undefined };
    }
    case "probe-state": {
      const n = fleet[change.node];
      const p = n?.probes[change.probe];
      if (!n || !p) return { fleet, refetch: change.node };
      const probes = { ...n.probes, [change.probe]: { ...p, state: change.to, stateSince: change.at } };
      return { fleet: { ...fleet, [change.node]: { ...n, probes } } };
    }
    case "event":
      // Events carry no probe view; the node page refetches its detail to show them.
      return { fleet };
    default:
      return { fleet };
  }
}

/** `#/nodes/<id>` → the node page; anything else → the fleet with label filters from the query. */
export type Route =
  | { readonly page: "fleet"; readonly filters: Readonly<Record<string, string>> }
  | { readonly page: "node"; readonly id: string };

export function parseRoute(hash: string): Route {
  const h = hash.replace(/^#/, "");
  const m = /^\/nodes\/([^?]+)/.exec(h);
  if (m) return { page: "node", id: decodeURIComponent(m[1]) };
  const q = h.indexOf("?");
  const filters: Record<string, string> = {};
  if (q >= 0) for (const [k, v] of new URLSearchParams(h.slice(q + 1))) if (v) filters[k] = v;
  return { page: "fleet", filters };
}

export function fleetHash(filters: Readonly<Record<string, string>>): string {
  const q = new URLSearchParams(Object.entries(filters).filter(([, v]) => v)).toString();
  return q ? `#/?${q}` : "#/";
}

export function nodeHash(id: string): string {
  return `#/nodes/${encodeURIComponent(id)}`;
}

/** Facts worth a column on the node page: lossPercent first, then the rest by name. */
export function factEntries(facts: ProbeView["facts"]): Array<[string, string]> {
  if (!facts) return [];
  return Object.entries(facts)
    // Shown as its own field from the probe view already.
    .filter(([k]) => k !== "peerRestarts")
    .sort(([a], [b]) => (a === "lossPercent" ? -1 : b === "lossPercent" ? 1 : a < b ? -1 : 1))
    .map(([k, v]) => [k, k === "lossPercent" && typeof v === "number" ? `${v.toFixed(1)} %` : String(v)]);
}

/**
 * The plot's time window: the last `minutes`, but not before the minute the node was first seen
 * (a new fleet's first points would be specks at the right edge of an empty hour), and at least
 * five minutes wide.
 */
export function historyWindow(now: number, firstSeen: number | undefined, minutes: number): { from: number; to: number } {
  const full = now - minutes * 60_000;
  const start = firstSeen === undefined ? full : Math.floor(firstSeen / 60_000) * 60_000 - 60_000;
  return { from: Math.min(Math.max(full, start), now - 5 * 60_000), to: now };
}
