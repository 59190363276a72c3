/**
 * @module The health model, pure: per-probe rise/fall hysteresis and the node verdict.
 *
 * Semantics follow Kubernetes probes (successThreshold/failureThreshold) and Envoy active health
 * checking (healthy_threshold/unhealthy_threshold): a healthy probe turns unhealthy after `fall`
 * consecutive failures, an unhealthy one healthy after `rise` consecutive successes. From
 * `unknown`, the first result decides at once, so a node gets a verdict on its first cycle
 * (decision recorded in docs/health.md).
 */
import type { ProbeState, Verdict } from "./events.ts";

export interface ProbeHealth {
  readonly state: ProbeState;
  readonly consecutiveOk: number;
  readonly consecutiveFail: number;
}

export interface HysteresisPolicy {
  readonly rise: number;
  readonly fall: number;
}

export const INITIAL_HEALTH: ProbeHealth = { state: "unknown", consecutiveOk: 0, consecutiveFail: 0 };

export function nextProbeHealth(prev: ProbeHealth, ok: boolean, policy: HysteresisPolicy): ProbeHealth {
  const consecutiveOk = ok ? prev.consecutiveOk + 1 : 0;
  const consecutiveFail = ok ? 0 : prev.consecutiveFail + 1;
  let state = prev.state;
  if (state === "unknown") state = ok ? "healthy" : "unhealthy";
  else if (state === "healthy" && consecutiveFail >= policy.fall) state = "unhealthy";
  else if (state === "unhealthy" && consecutiveOk >= policy.rise) state = "healthy";
  return { state, consecutiveOk, consecutiveFail };
}

export interface ProbeStanding {
  readonly name: string;
  readonly critical: boolean;
  readonly state: ProbeState;
}

export interface NodeVerdict {
  readonly status: Verdict;
  /** Critical probes that are unhealthy (the causes of DOWN). */
  readonly downCauses: readonly string[];
  /** Non-critical probes that are unhealthy (the causes of DEGRADED). */
  readonly degradedCauses: readonly string[];
  /** Every critical probe has left `unknown`. */
  readonly criticalKnown: boolean;
}

/** DOWN if any critical probe is unhealthy, DEGRADED if any non-critical one is, else UP (design.md). */
export function aggregate(probes: Iterable<ProbeStanding>): NodeVerdict {
  const downCauses: string[] = [];
  const degradedCauses: string[] = [];
  let criticalKnown = true;
  for (const p of probes) {
    if (p.critical && p.state === "unknown") criticalKnown = false;
    if (p.state !== "unhealthy") continue;
    (p.critical ? downCauses : degradedCauses).push(p.name);
  }
  downCauses.sort();
  degradedCauses.sort();
  const status: Verdict = downCauses.length ? "DOWN" : degradedCauses.length ? "DEGRADED" : "UP";
  return { status, downCauses, degradedCauses, criticalKnown };
}
