/**
 * @module The compact fleet grid (`GET /api/v1/fleet/grid`) and its live deltas (SSE event
 * `grid`): every node's verdict and per-probe state in one dictionary-coded JSON document, and
 * the pure functions that build and apply it. Shared by the collector (collector/fleet_grid.ts)
 * and the dashboard (collector/dashboard/ui/), so both sides read one definition.
 *
 * Why this shape: at 10,000 nodes × 10 probes the full `/api/v1/fleet` plus one node detail per
 * node is megabytes and 10,000 requests. Here probe names, label sets and each node's list of
 * probe names ("profile") are interned once; a node is one short array and its probe states one
 * character each. Measured in docs/dashboard.md.
 */
import { FAILURE_KINDS, type FailureKind, type ProbeState, type Verdict } from "../telemetry/wire_tables.ts";

export const GRID_FORMAT = "edgeprobe.fleet-grid/1";

/** Verdict codes: the index in this table. 0: the node has sent no verdict record yet. */
export const GRID_VERDICTS = [null, "UP", "DEGRADED", "DOWN"] as const;

export interface GridCell {
  readonly state: ProbeState;
  /** The newest failure's kind, when the probe is unhealthy and the collector knows it. */
  readonly kind?: FailureKind;
}

/**
 * Cell codes: one character per probe, `"0"` + the index in this table. Unhealthy cells name the
 * failure kind (design.md "Health model": a closed set) when the collector has read it.
 */
export const GRID_CELLS: readonly GridCell[] = [
  { state: "unknown" },
  { state: "healthy" },
  { state: "unhealthy" },
  ...FAILURE_KINDS.map((kind) => ({ state: "unhealthy" as const, kind })),
];

/** Bit flags of a row. */
export const FLAG_RUNNING = 1;
/** Running and heard from within the collector's `staleAfter`. */
export const FLAG_ONLINE = 2;

/** One node: `[id, verdict code, flags, label set, profile, cells]`; `cells[i]` is the state of `profiles[profile][i]`. */
export type GridRow = [id: string, verdict: number, flags: number, labelSet: number, profile: number, cells: string];

/** Entries appended to a dictionary: `at` is the index of the first one (the receiver's length). */
export interface GridAppend<T> {
  readonly at: number;
  readonly add: readonly T[];
}

export interface GridSnapshot {
  readonly format: typeof GRID_FORMAT;
  /** Changes with every collector process: versions of another epoch do not compare. */
  readonly epoch: string;
  readonly version: number;
  /** The collector's clock when this version was built (epoch ms). */
  readonly generatedAt: number;
  readonly staleAfterMs: number;
  readonly verdicts: typeof GRID_VERDICTS;
  readonly cells: readonly GridCell[];
  readonly probes: readonly string[];
  readonly labelSets: readonly Readonly<Record<string, string>>[];
  /** Each a list of indexes into `probes`, sorted by name. */
  readonly profiles: readonly (readonly number[])[];
  readonly nodes: readonly GridRow[];
}

/**
 * The changes from version `from` to `to`. A receiver at `from` applies it; one at `to` or later
 * ignores it; one before `from` missed a delta and re-reads the grid.
 */
export interface GridDelta {
  readonly epoch: string;
  readonly from: number;
  readonly to: number;
  /** The collector's clock (epoch ms). */
  readonly t: number;
  readonly probes?: GridAppend<string>;
  readonly labelSets?: GridAppend<Readonly<Record<string, string>>>;
  readonly profiles?: GridAppend<readonly number[]>;
  /** Whole rows: new nodes, and nodes whose verdict, flags, labels or probe list changed. */
  readonly nodes?: readonly GridRow[];
  /** Single cells: `[node id, index into probes, cell code]`. */
  readonly cells?: readonly (readonly [string, number, string])[];
}

const KIND_CODE = new Map<string, number>(FAILURE_KINDS.map((k, i) => [k, 3 + i]));

export function cellCode(state: ProbeState, kind?: string): string {
  if (state === "healthy") return "1";
  if (state === "unhealthy") return String.fromCharCode(48 + ((kind && KIND_CODE.get(kind)) || 2));
  return "0";
}

export function decodeCell(code: string): GridCell {
  return GRID_CELLS[code.charCodeAt(0) - 48] ?? GRID_CELLS[0];
}

export function verdictCode(v: Verdict | undefined): number {
  return v ? GRID_VERDICTS.indexOf(v) : 0;
}

/** A grid as a receiver holds it: mutable, nodes by id. */
export interface GridModel {
  epoch: string;
  version: number;
  generatedAt: number;
  staleAfterMs: number;
  probes: string[];
  labelSets: Readonly<Record<string, string>>[];
  profiles: (readonly number[])[];
  nodes: Map<string, GridRow>;
}

export function modelFromSnapshot(s: GridSnapshot): GridModel {
  if (s.format !== GRID_FORMAT) throw new Error(`Cannot read the fleet grid: format ${JSON.stringify(s.format)}, expected ${GRID_FORMAT}`);
  return {
    epoch: s.epoch,
    version: s.version,
    generatedAt: s.generatedAt,
    staleAfterMs: s.staleAfterMs,
    probes: [...s.probes],
    labelSets: [...s.labelSets],
    profiles: [...s.profiles],
    nodes: new Map(s.nodes.map((r) => [r[0], [...r] as GridRow])),
  };
}

export type ApplyResult = "applied" | "old" | "gap";

function append<T>(into: T[], a: GridAppend<T> | undefined): boolean {
  if (!a) return true;
  if (a.at > into.length) return false;
  into.length = a.at;
  into.push(...a.add);
  return true;
}

/**
 * Apply one delta in place. "old": already included (or another epoch's leftover); "gap": the
 * receiver missed something and must re-read the grid (nothing was changed).
 */
export function applyDelta(m: GridModel, d: GridDelta): ApplyResult {
  if (d.epoch !== m.epoch) return "gap";
  if (d.to <= m.version) return "old";
  if (d.from !== m.version) return "gap";
  if ((d.probes && d.probes.at > m.probes.length) || (d.labelSets && d.labelSets.at > m.labelSets.length) || (d.profiles && d.profiles.at > m.profiles.length)) return "gap";
  append(m.probes, d.probes);
  append(m.labelSets, d.labelSets);
  append(m.profiles, d.profiles);
  for (const r of d.nodes ?? []) m.nodes.set(r[0], [...r] as GridRow);
  for (const [id, probe, code] of d.cells ?? []) {
    const row = m.nodes.get(id);
    if (!row) continue;
    const i = m.profiles[row[4]]?.indexOf(probe) ?? -1;
    if (i < 0) continue;
    row[5] = row[5].slice(0, i) + code + row[5].slice(i + 1);
  }
  m.version = d.to;
  m.generatedAt = d.t;
  return "applied";
}
