/**
 * @module The fleet grid: `GET /api/v1/fleet/grid` (collector/fleet_grid_format.ts) with an ETag,
 * and the same state as deltas on the event stream (SSE event `grid`).
 *
 * The collector keeps the grid in memory, built once from the store (`fleet()` + `probes()`) on
 * the first request and then kept current from the store's change feed, so an answer costs no
 * query: 10,000 nodes are one cached body per version (and its gzip). A dashboard that is never
 * opened costs nothing. At most one delta per `flushMs`: a burst of 1,000 state changes is one
 * event for every page, not 1,000, and a change after a quiet spell goes out at once.
 *
 * What the change feed does not carry is read back from the store, bounded:
 * - the failure kind of a probe that turned unhealthy (`store.node()`, at most `maxLookups`
 *   nodes per flush; the rest keep the plain "unhealthy" code until the next flush);
 * - `lastSeen`, which decides `online` (staleness), by `store.fleet()` every `refreshMs`. It also
 *   repairs any drift in verdicts and labels.
 */
import { gzipSync } from "node:zlib";
import type { FleetChange, NodeSummary, ProbeView, Store } from "./store.ts";
import {
  cellCode,
  FLAG_ONLINE,
  FLAG_RUNNING,
  GRID_CELLS,
  GRID_FORMAT,
  GRID_VERDICTS,
  type GridDelta,
  type GridRow,
  type GridSnapshot,
  verdictCode,
} from "./fleet_grid_format.ts";

export interface FleetGridOptions {
  readonly store: Store;
  readonly now: () => number;
  readonly staleAfterMs: number;
  /** Send one named server-sent event to the stream's clients. */
  readonly publish: (event: string, data: string) => void;
  /** At most one delta per this many ms; changes meanwhile are gathered into the next. @default 100 */
  readonly flushMs?: number;
  /** How often `lastSeen` (online) is re-read from the store (ms). @default 5000 */
  readonly refreshMs?: number;
  /** Node details read per flush to name the failure of a newly unhealthy probe. @default 64 */
  readonly maxLookups?: number;
  /**
   * A new body is built at most this often (ms); meanwhile the last one is served, still a
   * consistent version that the deltas after it bring up to date. Bounds what a client polling
   * the grid costs while the fleet changes every `flushMs`. @default 500
   */
  readonly minRebuildMs?: number;
}

export interface FleetGrid {
  /** The answer to `GET /api/v1/fleet/grid` (If-None-Match → 304, gzip when accepted). */
  handle(req: Request): Promise<Response>;
  /** The current grid (loads it on first use). */
  snapshot(): Promise<GridSnapshot>;
  close(): void;
}

interface Entry {
  readonly id: string;
  verdict: number;
  flags: number;
  labelSet: number;
  profile: number;
  cells: string;
  lastSeen: number;
}

/** An interning table: value → index, append-only. */
class Dict<T> {
  readonly list: T[] = [];
  readonly index = new Map<string, number>();
  sent = 0;
  constructor(private readonly key: (v: T) => string) {}
  of(v: T): number {
    const k = this.key(v);
    let i = this.index.get(k);
    if (i === undefined) {
      i = this.list.length;
      this.list.push(v);
      this.index.set(k, i);
    }
    return i;
  }
  /** What was added since the last call, as a delta append. */
  take(): { at: number; add: T[] } | undefined {
    if (this.sent === this.list.length) return undefined;
    const a = { at: this.sent, add: this.list.slice(this.sent) };
    this.sent = this.list.length;
    return a;
  }
}

const sortedLabels = (l: Readonly<Record<string, string>>) => Object.fromEntries(Object.entries(l).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

export function createFleetGrid(o: FleetGridOptions): FleetGrid {
  const flushMs = o.flushMs ?? 100;
  const refreshMs = o.refreshMs ?? 5000;
  const maxLookups = o.maxLookups ?? 64;
  const minRebuildMs = o.minRebuildMs ?? 500;
  // Random per process: a page that kept version 41 of a previous collector must not apply deltas.
  const epoch = crypto.randomUUID().slice(0, 8);
  const probes = new Dict<string>((s) => s);
  const labelSets = new Dict<Readonly<Record<string, string>>>((l) => JSON.stringify(l));
  const profiles = new Dict<readonly number[]>((p) => p.join(","));
  const nodes = new Map<string, Entry>();
  let version = 0;
  let builtAt = 0;
  const dirtyRows = new Set<string>();
  const dirtyCells = new Map<string, [string, number, string]>();
  const lookups = new Set<string>();
  let flushTimer: ReturnType<typeof setTimeout> | undefined;
  let refreshTimer: ReturnType<typeof setInterval> | undefined;
  let unsubscribe: (() => void) | undefined;
  let loading: Promise<void> | undefined;
  let closed = false;
  let cache: { version: number; at: number; etag: string; plain: Uint8Array; gzip?: Uint8Array } | undefined;

  const online = (running: boolean, lastSeen: number, now: number) => running && now - lastSeen < o.staleAfterMs;

  const entry = (id: string): Entry => {
    let e = nodes.get(id);
    if (!e) {
      e = { id, verdict: 0, flags: 0, labelSet: labelSets.of({}), profile: profiles.of([]), cells: "", lastSeen: 0 };
      nodes.set(id, e);
      dirtyRows.add(id);
    }
    return e;
  };

  const fromSummary = (s: NodeSummary, now: number) => {
    const e = entry(s.id);
    const verdict = verdictCode(s.verdict);
    const flags = (s.running ? FLAG_RUNNING : 0) | (online(s.running, s.lastSeen, now) ? FLAG_ONLINE : 0);
    const labelSet = labelSets.of(sortedLabels(s.labels));
    e.lastSeen = Math.max(e.lastSeen, s.lastSeen);
    if (verdict !== e.verdict || flags !== e.flags || labelSet !== e.labelSet) {
      e.verdict = verdict;
      e.flags = flags;
      e.labelSet = labelSet;
      dirtyRows.add(s.id);
    }
  };

  /** Set one probe's cell; a probe the node did not have yet changes its profile (a whole row). */
  const setCell = (id: string, probe: string, code: string) => {
    const e = entry(id);
    const p = probes.of(probe);
    const prof = profiles.list[e.profile];
    const i = prof.indexOf(p);
    if (i >= 0) {
      if (e.cells[i] === code) return;
      e.cells = e.cells.slice(0, i) + code + e.cells.slice(i + 1);
      if (!dirtyRows.has(id)) dirtyCells.set(`${id}\u0000${p}`, [id, p, code]);
      return;
    }
    const pairs = prof.map((q, j) => [q, e.cells[j]] as [number, string]);
    pairs.push([p, code]);
    pairs.sort((a, b) => (probes.list[a[0]] < probes.list[b[0]] ? -1 : 1));
    e.profile = profiles.of(pairs.map(([q]) => q));
    e.cells = pairs.map(([, c]) => c).join("");
    dirtyRows.add(id);
  };

  const fromProbe = (id: string, v: ProbeView) => setCell(id, v.name, cellCode(v.state, v.state === "unhealthy" ? v.last?.failure?.kind : undefined));

  const apply = (c: FleetChange) => {
    if (c.type === "node") fromSummary(c.node, o.now());
    else if (c.type === "probe-state") {
      setCell(c.node, c.probe, cellCode(c.to));
      if (c.to === "unhealthy") lookups.add(c.node);
    } else return;
    schedule();
  };

  // Leading edge: a change after a quiet spell goes out on the next task (with the rest of its
  // batch); changes within flushMs of the last delta wait for the next one. At most one delta per
  // flushMs, and no added wait for an isolated change.
  let lastFlush = 0;
  const schedule = () => {
    if (flushTimer !== undefined || closed || !loaded) return;
    flushTimer = setTimeout(() => void flush(), Math.max(0, lastFlush + flushMs - performance.now()));
  };

  const row = (e: Entry): GridRow => [e.id, e.verdict, e.flags, e.labelSet, e.profile, e.cells];

  /** Publish what changed as one delta. */
  const publishDelta = () => {
    if (dirtyRows.size === 0 && dirtyCells.size === 0) return;
    const from = version;
    version++;
    builtAt = o.now();
    const pa = probes.take(), la = labelSets.take(), fa = profiles.take();
    const d: GridDelta = {
      epoch, from, to: version, t: builtAt,
      ...(pa ? { probes: pa } : {}),
      ...(la ? { labelSets: la } : {}),
      ...(fa ? { profiles: fa } : {}),
      ...(dirtyRows.size ? { nodes: [...dirtyRows].map((id) => row(nodes.get(id)!)) } : {}),
      ...(dirtyCells.size ? { cells: [...dirtyCells.values()] } : {}),
    };
    dirtyRows.clear();
    dirtyCells.clear();
    o.publish("grid", JSON.stringify(d));
  };

  const flush = async () => {
    flushTimer = undefined;
    lastFlush = performance.now();
    publishDelta();
    if (lookups.size === 0 || closed) return;
    // Name the failure of probes that just turned red: the change feed says "unhealthy" only.
    const ids = [...lookups].slice(0, maxLookups);
    for (const id of ids) lookups.delete(id);
    const now = o.now();
    for (const id of ids) {
      const d = await o.store.node(id, now).catch(() => undefined);
      if (!d || closed) continue;
      for (const p of d.probeList) if (p.state === "unhealthy") fromProbe(id, p);
    }
    if (dirtyRows.size || dirtyCells.size || lookups.size) schedule();
  };

  const refresh = async () => {
    const now = o.now();
    const list = await o.store.fleet(now).catch(() => undefined);
    if (!list || closed) return;
    for (const s of list) fromSummary(s, now);
    schedule();
  };

  let loaded = false;
  // A failed first read (the store closed, a query error) is retried by the next request.
  const load = () =>
    loading ??= loadOnce().catch((e) => {
      unsubscribe?.();
      unsubscribe = undefined;
      loading = undefined;
      throw new Error(`Cannot build the fleet grid: ${(e as Error).message}`, { cause: e });
    });
  const loadOnce = () =>
    (async () => {
      // Subscribe first and replay what arrived during the read: every change carries its new
      // value, so applying one the read already saw is harmless, and none is missed.
      const early: FleetChange[] = [];
      unsubscribe = o.store.subscribe((c) => (loaded ? apply(c) : early.push(c)));
      const now = o.now();
      const [list, views] = await Promise.all([o.store.fleet(now), o.store.probes()]);
      for (const s of list) fromSummary(s, now);
      const byNode = new Map<string, ProbeView[]>();
      for (const { node, probe } of views) {
        let a = byNode.get(node);
        if (!a) byNode.set(node, a = []);
        a.push(probe);
      }
      for (const [id, vs] of byNode) {
        const e = entry(id);
        vs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        e.profile = profiles.of(vs.map((v) => probes.of(v.name)));
        e.cells = vs.map((v) => cellCode(v.state, v.state === "unhealthy" ? v.last?.failure?.kind : undefined)).join("");
      }
      loaded = true;
      for (const c of early) apply(c);
      // The first snapshot includes all of it: nothing to publish as a delta.
      probes.take();
      labelSets.take();
      profiles.take();
      dirtyRows.clear();
      dirtyCells.clear();
      version = 1;
      builtAt = now;
      if (!closed) {
        refreshTimer = setInterval(() => void refresh(), refreshMs);
        (refreshTimer as { unref?: () => void }).unref?.();
      }
    })();

  const snapshot = async (): Promise<GridSnapshot> => {
    await load();
    // Pending changes go out as a delta first, so the snapshot's version is one a delta ends at.
    if (flushTimer !== undefined) {
      clearTimeout(flushTimer);
      flushTimer = undefined;
      publishDelta();
      if (lookups.size) schedule();
    }
    return {
      format: GRID_FORMAT,
      epoch,
      version,
      generatedAt: builtAt,
      staleAfterMs: o.staleAfterMs,
      verdicts: GRID_VERDICTS,
      cells: GRID_CELLS,
      probes: probes.list,
      labelSets: labelSets.list,
      profiles: profiles.list,
      nodes: [...nodes.values()].map(row),
    };
  };

  return {
    snapshot,
    async handle(req) {
      await load();
      const now = o.now();
      const current = () => cache && ((cache.version === version && flushTimer === undefined) || now - cache.at < minRebuildMs);
      if (!current()) {
        const s = await snapshot();
        cache = { version: s.version, at: now, etag: `"grid-${epoch}-${s.version}"`, plain: new TextEncoder().encode(JSON.stringify(s)) };
      }
      const c = cache!;
      // RFC 9110 §13.1.2: weak comparison, a list of tags or "*".
      const headers = new Headers({ "content-type": "application/json", etag: c.etag, "cache-control": "no-cache", vary: "accept-encoding" });
      const inm = req.headers.get("if-none-match");
      if (inm && (inm.trim() === "*" || inm.split(",").some((t) => t.trim().replace(/^W\//, "") === c.etag))) return new Response(null, { status: 304, headers });
      if (/\bgzip\b/.test(req.headers.get("accept-encoding") ?? "")) {
        // Level 1: a 10,000-node grid shrinks about 5× in a few ms; level 9 buys little more.
        c.gzip ??= new Uint8Array(gzipSync(c.plain, { level: 1 }));
        headers.set("content-encoding", "gzip");
        return new Response(c.gzip as Uint8Array<ArrayBuffer>, { headers });
      }
      return new Response(c.plain as Uint8Array<ArrayBuffer>, { headers });
    },
    close() {
      closed = true;
      clearTimeout(flushTimer);
      clearInterval(refreshTimer);
      unsubscribe?.();
    },
  };
}
