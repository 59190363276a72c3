/**
 * @module The fleet page's view model over the compact grid (collector/fleet_grid_format.ts):
 * standing per node, counts, filters (labels, standing, probe, cell state, name search), grouping
 * by region and site with counts, and the flat list of rows that the windowed table draws a slice
 * of. Pure: no DOM, so it is unit-tested under Bun and Deno.
 */
import { decodeCell, FLAG_ONLINE, FLAG_RUNNING, GRID_VERDICTS, type GridModel, type GridRow } from "../../fleet_grid_format.ts";
import type { ProbeState } from "../../../telemetry/wire_tables.ts";

export type Standing = "UP" | "DEGRADED" | "DOWN" | "NO DATA";
export const STANDINGS: readonly Standing[] = ["DOWN", "DEGRADED", "NO DATA", "UP"];
/** Worst first: what needs eyes sorts to the top. */
const RANK: Readonly<Record<Standing, number>> = { DOWN: 0, DEGRADED: 1, "NO DATA": 2, UP: 3 };

export type Counts = Record<Standing, number>;
const zero = (): Counts => ({ DOWN: 0, DEGRADED: 0, "NO DATA": 0, UP: 0 });

export interface NodeView {
  readonly id: string;
  readonly standing: Standing;
  readonly stale: boolean;
  readonly labels: Readonly<Record<string, string>>;
  /** Probe names, sorted, and their states. */
  readonly probes: readonly string[];
  readonly cells: string;
  readonly unhealthy: number;
}

/**
 * The node's standing. Stale (not online) or stopped → NO DATA. The agent sends a verdict record
 * only on a change and starts at UP, so a node without one is UP when no probe is unhealthy and at
 * least one is healthy (design.md "Health model"), else NO DATA.
 */
export function standingOf(row: GridRow): Standing {
  if ((row[2] & FLAG_RUNNING) === 0 || (row[2] & FLAG_ONLINE) === 0) return "NO DATA";
  const v = GRID_VERDICTS[row[1]];
  if (v) return v;
  let healthy = 0;
  for (let i = 0; i < row[5].length; i++) {
    const s = decodeCell(row[5][i]).state;
    if (s === "unhealthy") return "NO DATA";
    if (s === "healthy") healthy++;
  }
  return healthy > 0 ? "UP" : "NO DATA";
}

/**
 * Views kept between redraws: a node's view is rebuilt only when its row changed, and each
 * profile's probe names are looked up once. At 10,000 nodes a redraw then allocates for the
 * changed nodes only (measured: 22-70 ms per full rebuild in Bun without it).
 */
export interface ViewCache {
  model?: GridModel;
  readonly views: WeakMap<GridRow, { of: GridRow; view: NodeView }>;
  readonly names: Map<number, readonly string[]>;
}

export function newViewCache(): ViewCache {
  return { views: new WeakMap(), names: new Map() };
}

export function nodeView(m: GridModel, row: GridRow, cache?: ViewCache): NodeView {
  if (cache && cache.model !== m) {
    cache.model = m;
    cache.names.clear();
  }
  const hit = cache?.views.get(row);
  // A row is updated in place by cell deltas: compare what the view was built from.
  if (hit && hit.of[1] === row[1] && hit.of[2] === row[2] && hit.of[3] === row[3] && hit.of[4] === row[4] && hit.of[5] === row[5]) return hit.view;
  let unhealthy = 0;
  for (let i = 0; i < row[5].length; i++) if (row[5].charCodeAt(i) >= 50) unhealthy++;
  let probes = cache?.names.get(row[4]);
  if (!probes) {
    probes = (m.profiles[row[4]] ?? []).map((i) => m.probes[i]);
    cache?.names.set(row[4], probes);
  }
  const view: NodeView = {
    id: row[0],
    standing: standingOf(row),
    stale: (row[2] & FLAG_RUNNING) === 0 || (row[2] & FLAG_ONLINE) === 0,
    labels: m.labelSets[row[3]] ?? {},
    probes,
    cells: row[5],
    unhealthy,
  };
  cache?.views.set(row, { of: [...row] as GridRow, view });
  return view;
}

export function countAll(m: GridModel): Counts {
  const c = zero();
  for (const r of m.nodes.values()) c[standingOf(r)]++;
  return c;
}

/** What the fleet page shows, from the URL: `#/?region=north&state=DOWN&probe=n4&cell=unhealthy&q=upf&group=site`. */
export interface FleetQuery {
  readonly labels: Readonly<Record<string, string>>;
  readonly state?: Standing;
  readonly probe?: string;
  readonly cell?: ProbeState;
  /** Part of the node id, any case. */
  readonly q?: string;
  /** `site`: region, then site (default); `region`; `none`: one flat list. */
  readonly group: "site" | "region" | "none";
}

/** URL keys that are not label filters (a label with one of these names cannot be filtered on). */
export const RESERVED = ["state", "probe", "cell", "q", "group"] as const;

export function parseFleetQuery(params: URLSearchParams): FleetQuery {
  const labels: Record<string, string> = {};
  for (const [k, v] of params) if (v && !(RESERVED as readonly string[]).includes(k)) labels[k] = v;
  const state = params.get("state") ?? "";
  const cell = params.get("cell") ?? "";
  const group = params.get("group") ?? "";
  return {
    labels,
    ...((STANDINGS as readonly string[]).includes(state) ? { state: state as Standing } : {}),
    ...(params.get("probe") ? { probe: params.get("probe")! } : {}),
    ...(["healthy", "unhealthy", "unknown"].includes(cell) ? { cell: cell as ProbeState } : {}),
    ...(params.get("q") ? { q: params.get("q")! } : {}),
    group: group === "region" || group === "none" ? group : "site",
  };
}

export function fleetQueryHash(q: FleetQuery): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q.labels)) if (v) p.set(k, v);
  if (q.state) p.set("state", q.state);
  if (q.probe) p.set("probe", q.probe);
  if (q.cell) p.set("cell", q.cell);
  if (q.q) p.set("q", q.q);
  if (q.group !== "site") p.set("group", q.group);
  const s = p.toString();
  return s ? `#/?${s}` : "#/";
}

export const PREFERRED_LABELS = ["region", "site", "role"] as const;

/** Every label key with its values, region, site and role first; values sorted. */
export function labelChoices(m: GridModel): Array<{ key: string; values: string[] }> {
  const used = new Set<number>();
  for (const r of m.nodes.values()) used.add(r[3]);
  const by = new Map<string, Set<string>>();
  for (const i of used) {
    for (const [k, v] of Object.entries(m.labelSets[i] ?? {})) {
      let s = by.get(k);
      if (!s) by.set(k, s = new Set());
      s.add(v);
    }
  }
  const rank = (k: string) => {
    const i = (PREFERRED_LABELS as readonly string[]).indexOf(k);
    return i < 0 ? PREFERRED_LABELS.length : i;
  };
  return [...by.keys()].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1)).map((key) => ({ key, values: [...by.get(key)!].sort() }));
}

/** Probe names that some node has, sorted. */
export function probeChoices(m: GridModel): string[] {
  const used = new Set<number>();
  for (const r of m.nodes.values()) used.add(r[4]);
  const names = new Set<string>();
  for (const p of used) for (const i of m.profiles[p] ?? []) names.add(m.probes[i]);
  return [...names].sort();
}

export function matches(n: NodeView, q: FleetQuery): boolean {
  for (const [k, v] of Object.entries(q.labels)) if (n.labels[k] !== v) return false;
  if (q.state && n.standing !== q.state) return false;
  if (q.q && !n.id.toLowerCase().includes(q.q.toLowerCase())) return false;
  if (q.probe || q.cell) {
    let hit = false;
    for (let i = 0; i < n.probes.length && !hit; i++) {
      if (q.probe && n.probes[i] !== q.probe) continue;
      hit = !q.cell || decodeCell(n.cells[i]).state === q.cell;
    }
    if (!hit) return false;
  }
  return true;
}

export type DisplayRow =
  | { readonly kind: "group"; readonly key: string; readonly level: number; readonly title: string; readonly counts: Counts; readonly total: number; readonly collapsed: boolean }
  | { readonly kind: "node"; readonly node: NodeView };

export interface FleetRows {
  readonly rows: readonly DisplayRow[];
  /** Probe columns: every probe name of the shown nodes (only the chosen one with a probe filter). */
  readonly columns: readonly string[];
  readonly shown: number;
}

const byWorst = (a: NodeView, b: NodeView) => RANK[a.standing] - RANK[b.standing] || b.unhealthy - a.unhealthy || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

interface Group {
  readonly key: string;
  readonly title: string;
  readonly nodes: NodeView[];
  readonly counts: Counts;
  worst: number;
  readonly children: Map<string, Group>;
}

const newGroup = (key: string, title: string): Group => ({ key, title, nodes: [], counts: zero(), worst: 3, children: new Map() });
const byGroup = (a: Group, b: Group) => a.worst - b.worst || (a.title < b.title ? -1 : a.title > b.title ? 1 : 0);

/**
 * The rows to draw, in order: group headers (with counts) and nodes. Groups sort worst first, then
 * by name, so a region with a DOWN node comes first and the wall reshuffles only when a group's
 * worst standing changes. A collapsed group keeps its header and hides its nodes.
 */
export function buildRows(m: GridModel, q: FleetQuery, collapsed: ReadonlySet<string> = new Set(), cache?: ViewCache): FleetRows {
  const shown: NodeView[] = [];
  const probeIds = new Set<number>();
  for (const r of m.nodes.values()) {
    const n = nodeView(m, r, cache);
    if (!matches(n, q)) continue;
    shown.push(n);
    probeIds.add(r[4]);
  }
  const names = new Set<string>();
  for (const p of probeIds) for (const i of m.profiles[p] ?? []) names.add(m.probes[i]);
  const columns = q.probe ? (names.has(q.probe) ? [q.probe] : []) : [...names].sort();
  const rows: DisplayRow[] = [];
  if (q.group === "none") {
    for (const n of shown.sort(byWorst)) rows.push({ kind: "node", node: n });
    return { rows, columns, shown: shown.length };
  }
  const top = newGroup("", "");
  for (const n of shown) {
    const region = n.labels.region ?? "(no region)";
    let g = top.children.get(region);
    if (!g) top.children.set(region, g = newGroup(`r:${region}`, region));
    let leaf = g;
    if (q.group === "site") {
      const site = n.labels.site ?? "(no site)";
      leaf = g.children.get(site)!;
      if (!leaf) g.children.set(site, leaf = newGroup(`s:${region}/${site}`, site));
      leaf.counts[n.standing]++;
      leaf.worst = Math.min(leaf.worst, RANK[n.standing]);
    }
    leaf.nodes.push(n);
    g.counts[n.standing]++;
    g.worst = Math.min(g.worst, RANK[n.standing]);
  }
  const total = (c: Counts) => c.DOWN + c.DEGRADED + c["NO DATA"] + c.UP;
  const emit = (g: Group, level: number) => {
    const closed = collapsed.has(g.key);
    rows.push({ kind: "group", key: g.key, level, title: g.title, counts: g.counts, total: total(g.counts), collapsed: closed });
    if (closed) return;
    if (g.children.size) for (const c of [...g.children.values()].sort(byGroup)) emit(c, level + 1);
    else for (const n of g.nodes.sort(byWorst)) rows.push({ kind: "node", node: n });
  };
  for (const g of [...top.children.values()].sort(byGroup)) emit(g, 0);
  return { rows, columns, shown: shown.length };
}

/** The slice of rows a scroll box shows, with `overscan` rows either side. */
export function windowOf(total: number, scrollTop: number, viewport: number, rowPx: number, overscan = 8): { start: number; end: number } {
  const start = Math.max(0, Math.floor(scrollTop / rowPx) - overscan);
  const end = Math.min(total, Math.ceil((scrollTop + viewport) / rowPx) + overscan);
  return { start, end: Math.max(start, end) };
}
