/**
 * @module What a config reload (SIGHUP) changes, decided before anything is touched, pure.
 * Unchanged probes keep their state and counters; a probe whose target or kind changed starts a
 * fresh history (it measures another path); sections read only at start need a restart
 * (docs/config.md).
 */
import type { AgentConfig, ProbeConfig } from "./config.ts";

export interface ReloadPlan {
  readonly added: readonly ProbeConfig[];
  readonly removed: readonly string[];
  /** Options changed: the probe is rebuilt; `keepState` when kind and target are the same. */
  readonly changed: ReadonlyArray<{ readonly config: ProbeConfig; readonly keepState: boolean }>;
  readonly kept: readonly string[];
  /** Sections that take effect only after a restart. */
  readonly restartNeeded: readonly string[];
  /** Probe names in the new config's order (for /status). */
  readonly order: readonly string[];
}

/** The sections the running agent cannot change in place. */
const START_ONLY = ["server", "telemetry", "otel"] as const;

export function probeFingerprint(p: ProbeConfig): string {
  return JSON.stringify(p);
}

export function planReload(current: AgentConfig, next: AgentConfig): ReloadPlan {
  const restartNeeded = START_ONLY.filter((k) => JSON.stringify(next[k]) !== JSON.stringify(current[k]));
  const wanted = new Map(next.probes.map((p) => [p.name, p]));
  const removed: string[] = [];
  const changed: Array<{ config: ProbeConfig; keepState: boolean }> = [];
  const kept: string[] = [];
  for (const cur of current.probes) {
    const p = wanted.get(cur.name);
    if (!p) removed.push(cur.name);
    else if (probeFingerprint(p) !== probeFingerprint(cur)) changed.push({ config: p, keepState: p.kind === cur.kind && p.target === cur.target });
    else kept.push(cur.name);
  }
  const have = new Set(current.probes.map((p) => p.name));
  const added = next.probes.filter((p) => !have.has(p.name));
  return { added, removed, changed, kept, restartNeeded, order: next.probes.map((p) => p.name) };
}

/** The config the agent runs after a reload: the new one, with the start-only sections kept. */
export function reloadedConfig(current: AgentConfig, next: AgentConfig): AgentConfig {
  return { ...next, server: current.server, telemetry: current.telemetry, otel: current.otel };
}
