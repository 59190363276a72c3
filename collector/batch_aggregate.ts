/**
 * @module What one batch's new records change, computed once and without I/O: the probe results
 * (applied one by one to their probe's counters, last result and minute, hour and day by
 * collector/read_model.ts), per-probe state changes and peer restarts, the events to keep, the
 * verdict, labels and version an agent-start carried, spool-drop totals.
 *
 * A Store applies the result to its read model after the batch is durable, so a batch that fails
 * to store leaves no trace (collector/sqlite_store.ts). Pure: the same records give the same delta.
 */
import type { ProbeRecord, TelemetryRecord } from "../telemetry/record.ts";
import { mergeInto, newSketch, type Sketch } from "./sketch.ts";
import type { EventView, FleetChange, NodeSummary, ProbeView } from "./store.ts";

export const MINUTE = 60_000;

/** One probe's results in one minute: outcome counts and a latency sketch (µs). */
export interface MinuteAgg {
  count: number;
  ok: number;
  failures: Record<string, number>;
  sketch: Sketch;
}

export function newMinuteAgg(): MinuteAgg {
  return { count: 0, ok: 0, failures: {}, sketch: newSketch() };
}

/** Add `from` into `into` (counts add, sketches merge: DDSketch merge is exact). */
export function mergeMinute(into: MinuteAgg, from: MinuteAgg): MinuteAgg {
  into.count += from.count;
  into.ok += from.ok;
  for (const k in from.failures) into.failures[k] = (into.failures[k] ?? 0) + from.failures[k];
  mergeInto(into.sketch, from.sketch);
  return into;
}

/**
 * What a batch's records other than probe results change for one probe (its state, its peer's
 * restarts); the results themselves are in `BatchDelta.results`.
 */
export interface ProbeDelta {
  state?: ProbeView["state"];
  stateSince?: number;
  restarts: number;
}

/** A probe result with its sequence number, as it arrived. */
export type ProbeResult = ProbeRecord & { readonly seq: number };

export interface BatchDelta {
  /**
   * The probe results, in seq order: applied one by one to their probe's minute, hour and day
   * (collector/read_model.ts). One batch of a steady fleet carries about one result per probe,
   * so a per-probe, per-minute summary first was objects for nothing: measured (bun --cpu-prof,
   * docs/benchmarks.md) about 8 % of ingest CPU with 5 s batches, most of it allocation.
   */
  readonly results: readonly ProbeResult[];
  /** Per probe, what the other records change (state changes, peer restarts). */
  readonly probes: Map<string, ProbeDelta>;
  /** Non-probe records as kept for a node's recent events, in seq order. */
  readonly events: EventView[];
  /** Probe state changes, for subscribers. */
  readonly stateChanges: Extract<FleetChange, { type: "probe-state" }>[];
  readonly verdict?: NodeSummary["verdict"];
  readonly version?: string;
  readonly labels?: Record<string, string>;
  /** Highest cumulative spool-drop count of this boot seen so far (never below `dropsBefore`). */
  readonly drops: number;
  readonly peerRestarts: number;
  readonly firstAt: number;
  readonly lastAt: number;
  /** False when the batch ends with an agent-stop. */
  readonly running: boolean;
}

/**
 * Aggregate the new records of one (agentId, bootId) batch.
 * @param fresh records not yet stored, in seq order, at least one
 * @param dropsBefore the boot's spool-drop total reported before this batch
 */
export function aggregateBatch(node: string, bootId: string, fresh: readonly TelemetryRecord[], dropsBefore: number): BatchDelta {
  const results: ProbeResult[] = [];
  const probes = new Map<string, ProbeDelta>();
  const events: EventView[] = [];
  const stateChanges: Extract<FleetChange, { type: "probe-state" }>[] = [];
  let verdict: NodeSummary["verdict"];
  let version: string | undefined;
  let labels: Record<string, string> | undefined;
  let drops = dropsBefore, peerRestarts = 0;
  let firstAt = Infinity, lastAt = 0;
  const pa = (name: string): ProbeDelta => {
    let p = probes.get(name);
    if (!p) probes.set(name, p = { restarts: 0 });
    return p;
  };
  let onlyResults = true;
  for (const r of fresh) {
    if (r.at > lastAt) lastAt = r.at;
    if (r.at < firstAt) firstAt = r.at;
    if (r.type === "probe") {
      if (!onlyResults) results.push(r);
      continue;
    }
    // Nearly every batch is probe results only: `fresh` itself is the list (no copy); else the
    // results before this record are copied once.
    if (onlyResults) {
      onlyResults = false;
      for (const x of fresh) {
        if (x === r) break;
        results.push(x as ProbeResult);
      }
    }
    const { seq: _s, type, at, ...detail } = r as TelemetryRecord & Record<string, unknown>;
    const probe = "probe" in r ? r.probe : undefined;
    events.push({ seq: r.seq, bootId, at, type, ...(probe !== undefined ? { probe } : {}), detail });
    switch (r.type) {
      case "state": {
        const p = pa(r.probe);
        p.state = r.to;
        p.stateSince = r.at;
        stateChanges.push({ type: "probe-state", node, probe: r.probe, from: r.from, to: r.to, at: r.at });
        break;
      }
      case "verdict":
        verdict = r.to;
        break;
      case "peer-restart":
        pa(r.probe).restarts++;
        peerRestarts++;
        break;
      case "spool-drop":
        // Cumulative per boot: a later report supersedes one that was itself dropped.
        if (r.records > drops) drops = r.records;
        break;
      case "agent-start":
        version = r.version;
        labels = r.labels;
        break;
    }
  }
  return {
    results: onlyResults ? fresh as readonly ProbeResult[] : results,
    probes,
    events,
    stateChanges,
    ...(verdict !== undefined ? { verdict } : {}),
    ...(version !== undefined ? { version } : {}),
    ...(labels !== undefined ? { labels } : {}),
    drops,
    peerRestarts,
    firstAt,
    lastAt,
    running: fresh[fresh.length - 1].type !== "agent-stop",
  };
}
