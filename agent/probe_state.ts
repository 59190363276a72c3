/** @module Everything the agent remembers about one configured probe; survives reloads. */
import { INITIAL_HEALTH, nextProbeHealth, type ProbeHealth } from "./health.ts";
import type { ProbeConfig } from "./config.ts";
import type { FailureKind, Facts, ProbeResult } from "../probes/types.ts";

/** Prometheus histogram bounds in seconds: sub-ms loopback to multi-second WAN timeouts. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
const RECENT = 128;

export interface ProbeState {
  config: ProbeConfig;
  health: ProbeHealth;
  lastResult?: ProbeResult;
  lastError?: { readonly at: number; readonly kind: FailureKind; readonly message: string; readonly reason?: string };
  /** Facts merged across runs (the last value of each). */
  facts: Record<string, string | number | boolean>;
  runs: number;
  failuresByKind: Record<string, number>;
  peerRestarts: number;
  stateChanges: number;
  /** Cumulative counts per LATENCY_BUCKETS bound (successful runs only), plus sum. */
  latencyBuckets: number[];
  latencyCount: number;
  latencySum: number;
  recent: number[];
}

export function newProbeState(config: ProbeConfig): ProbeState {
  return {
    config,
    health: INITIAL_HEALTH,
    facts: {},
    runs: 0,
    failuresByKind: {},
    peerRestarts: 0,
    stateChanges: 0,
    latencyBuckets: LATENCY_BUCKETS.map(() => 0),
    latencyCount: 0,
    latencySum: 0,
    recent: [],
  };
}

/** Apply one result; returns the previous health so the caller can see a state change. */
export function recordResult(s: ProbeState, r: ProbeResult): ProbeHealth {
  const prev = s.health;
  s.health = nextProbeHealth(prev, r.ok, s.config);
  if (s.health.state !== prev.state) s.stateChanges++;
  s.runs++;
  s.lastResult = r;
  if (r.facts) Object.assign(s.facts, r.facts as Facts);
  if (r.ok) {
    const sec = r.latencyMs / 1000;
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) if (sec <= LATENCY_BUCKETS[i]) s.latencyBuckets[i]++;
    s.latencyCount++;
    s.latencySum += sec;
    s.recent.push(r.latencyMs);
    if (s.recent.length > RECENT) s.recent.shift();
  } else if (r.failure) {
    s.failuresByKind[r.failure.kind] = (s.failuresByKind[r.failure.kind] ?? 0) + 1;
    s.lastError = { at: r.startedAt, kind: r.failure.kind, message: r.failure.message, ...(r.failure.reason ? { reason: r.failure.reason } : {}) };
  }
  for (const ev of r.events ?? []) if (ev.type === "peer-restart") s.peerRestarts++;
  return prev;
}

/** Nearest-rank quantiles over the recent successful runs. */
export function recentQuantiles(s: ProbeState): { count: number; p50?: number; p90?: number; p99?: number; max?: number } {
  const xs = [...s.recent].sort((a, b) => a - b);
  if (!xs.length) return { count: 0 };
  const q = (p: number) => xs[Math.min(xs.length - 1, Math.ceil(p * xs.length) - 1)];
  return { count: xs.length, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: xs[xs.length - 1] };
}
