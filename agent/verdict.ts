/**
 * @module The node verdict as the agent tracks it, pure: which verdict the probes give, whether it
 * changed, and whether the change is announced (logged and sent as a `verdict-change` event).
 */
import type { Verdict } from "./events.ts";
import { aggregate, type NodeVerdict, type ProbeStanding } from "./health.ts";

export interface VerdictState {
  readonly verdict: NodeVerdict;
  /** A `verdict-change` event has been sent at least once. */
  readonly announced: boolean;
}

export interface VerdictStep {
  readonly state: VerdictState;
  /** The verdict or its causes changed: the /healthz and /readyz answers must be re-encoded. */
  readonly changed: boolean;
  /** Send a `verdict-change` event with these fields. */
  readonly announce?: { readonly from: Verdict; readonly to: Verdict; readonly causes: readonly string[] };
}

export const INITIAL_VERDICT: VerdictState = { verdict: aggregate([]), announced: false };

export function sameVerdict(a: NodeVerdict, b: NodeVerdict): boolean {
  return a.status === b.status && a.criticalKnown === b.criticalKnown &&
    a.downCauses.join() === b.downCauses.join() && a.degradedCauses.join() === b.degradedCauses.join();
}

/**
 * The next verdict from the probes' standings. `started`: the probes are scheduled; before that
 * no event is announced. The collector learns the verdict from these events, so the first
 * complete verdict (every critical probe known) is announced even when it equals the initial UP:
 * a node that was always UP would otherwise never send one (docs/telemetry.md).
 */
export function stepVerdict(prev: VerdictState, standings: Iterable<ProbeStanding>, started: boolean): VerdictStep {
  const next = aggregate(standings);
  const changed = !sameVerdict(prev.verdict, next);
  const from = prev.verdict.status;
  if (!announces(from, prev.announced, next, started)) return { state: { verdict: next, announced: prev.announced }, changed };
  return {
    state: { verdict: next, announced: true },
    changed,
    announce: { from, to: next.status, causes: [...next.downCauses, ...next.degradedCauses] },
  };
}

/**
 * Whether a step from status `from` to `next` sends a `verdict-change` event: on every change of
 * the status, and once for the first complete verdict after the start (stepVerdict() above; the
 * agent applies it to its O(1) tally, agent/verdict_tally.ts).
 */
export function announces(from: Verdict, announced: boolean, next: { readonly status: Verdict; readonly criticalKnown: boolean }, started: boolean): boolean {
  return next.status !== from || (!announced && started && next.criticalKnown);
}
