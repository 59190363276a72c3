/**
 * @module The node verdict kept up to date from probe state changes in O(1) each: counts of the
 * critical probes still `unknown`, and the names of the unhealthy probes by criticality, so the
 * status and readiness follow from counters, not from a pass over every probe. The same verdict
 * as `aggregate()` (agent/health.ts) over the same standings; the sorted cause lists are built
 * only when asked for, at most once per change. Measured: recomputing the verdict over all
 * standings on every state change cost the agent ~0.5 s of CPU when 1,000 probes turned unhealthy
 * within a second, ~5 s for 5,000; with the tally ~0.04 and ~0.06 s (docs/benchmarks.md "A mass
 * state change in the agent").
 */
import type { ProbeState, Verdict } from "./events.ts";
import type { NodeVerdict, ProbeStanding } from "./health.ts";

/** One probe's health state change (agent/probe_set.ts `onStateChange`). */
export interface StateMove {
  readonly name: string;
  readonly critical: boolean;
  readonly from: ProbeState;
  readonly to: ProbeState;
}

export interface VerdictTally {
  /**
   * Apply one probe's state change: O(1). What the probe counted as before comes from the tally's
   * own record of it (a probe it has not seen counts from nothing), so a move reported with
   * another criticality than the one counted (a reload under way) cannot leave a stale name.
   * Returns whether the names of the unhealthy probes changed.
   */
  move(m: StateMove): boolean;
  /** Start over from every probe's standing (start, reload): O(n). */
  reset(standings: Iterable<ProbeStanding>): void;
  /** DOWN if any critical probe is unhealthy, DEGRADED if any other is, else UP: O(1). */
  status(): Verdict;
  /** Every critical probe has left `unknown`: O(1). */
  criticalKnown(): boolean;
  /** The verdict with its sorted causes; built once after a change that touched them, then kept. */
  verdict(): NodeVerdict;
}

export function createVerdictTally(standings: Iterable<ProbeStanding> = []): VerdictTally {
  // Sets keep the cost of a move O(1) whatever the number of unhealthy probes.
  const down = new Set<string>();
  const degraded = new Set<string>();
  // Each probe as counted: its criticality and state, one small number (no object per move).
  const counted = new Map<string, number>();
  let unknownCritical = 0;
  let built: NodeVerdict | undefined;
  const STATES: readonly ProbeState[] = ["unknown", "healthy", "unhealthy"];
  const code = (critical: boolean, state: ProbeState) => (critical ? 3 : 0) + STATES.indexOf(state);

  /** Count a probe in or out; true when that changed the names of the unhealthy probes. */
  function count(name: string, critical: boolean, state: ProbeState, delta: 1 | -1): boolean {
    if (delta > 0) counted.set(name, code(critical, state));
    else counted.delete(name);
    if (state === "unknown") {
      if (critical) unknownCritical += delta;
      return false;
    }
    if (state !== "unhealthy") return false;
    const set = critical ? down : degraded;
    if (delta > 0) set.add(name);
    else set.delete(name);
    built = undefined;
    return true;
  }

  const status = (): Verdict => down.size ? "DOWN" : degraded.size ? "DEGRADED" : "UP";
  const tally: VerdictTally = {
    move(m) {
      const was = counted.get(m.name);
      if (was === code(m.critical, m.to)) return false;
      const out = was !== undefined && count(m.name, was >= 3, STATES[was % 3], -1);
      const into = count(m.name, m.critical, m.to, 1);
      if (built && built.criticalKnown !== (unknownCritical === 0)) built = undefined;
      return out || into;
    },
    reset(all) {
      down.clear();
      degraded.clear();
      counted.clear();
      unknownCritical = 0;
      built = undefined;
      for (const p of all) count(p.name, p.critical, p.state, 1);
    },
    status,
    criticalKnown: () => unknownCritical === 0,
    verdict() {
      // The same order as aggregate(): each list sorted by name (UTF-16 code units).
      built ??= { status: status(), downCauses: [...down].sort(), degradedCauses: [...degraded].sort(), criticalKnown: unknownCritical === 0 };
      return built;
    },
  };
  tally.reset(standings);
  return tally;
}
