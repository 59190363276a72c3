/** @module The agent's `/status` document, pure: identity, verdict and every probe (docs/health.md). */
import type { NodeVerdict } from "./health.ts";
import { type ProbeState, recentQuantiles } from "./probe_state.ts";
import type { LoopStats } from "./scheduler.ts";
import { roundMs } from "../common/round_ms.ts";

export interface AgentIdentity {
  readonly id: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly version: string;
  readonly runtime: string;
  readonly target: string;
  readonly bootId: string;
  readonly startedAtMs: number;
}

export interface StatusInput {
  readonly agent: AgentIdentity;
  readonly verdict: NodeVerdict;
  readonly draining: boolean;
  readonly probes: ReadonlyArray<{ readonly state: ProbeState; readonly loop?: LoopStats }>;
  readonly uplink?: unknown;
}

export function statusView(m: StatusInput) {
  const { agent, verdict, draining } = m;
  return {
    agent: {
      id: agent.id,
      labels: agent.labels,
      version: agent.version,
      runtime: agent.runtime,
      target: agent.target,
      bootId: agent.bootId,
      startedAt: new Date(agent.startedAtMs).toISOString(),
      draining,
    },
    verdict: { status: verdict.status, down: verdict.downCauses, degraded: verdict.degradedCauses, ready: verdict.criticalKnown && !draining },
    probes: m.probes.map(({ state: s, loop }) => ({
      name: s.config.name,
      kind: s.config.kind,
      target: s.config.target,
      interface: s.config.interface,
      critical: s.config.critical,
      state: s.health.state,
      consecutiveOk: s.health.consecutiveOk,
      consecutiveFail: s.health.consecutiveFail,
      runs: s.runs,
      failures: s.failuresByKind,
      peerRestarts: s.peerRestarts,
      lastResult: s.lastResult && {
        ok: s.lastResult.ok,
        at: new Date(s.lastResult.startedAt).toISOString(),
        latencyMs: s.lastResult.latencyMs,
        failure: s.lastResult.failure,
      },
      latencyMs: recentQuantiles(s),
      lastError: s.lastError && { ...s.lastError, at: new Date(s.lastError.at).toISOString() },
      facts: s.facts,
      // The phase slot: where in each interval this probe runs (docs/config.md `interval`).
      scheduler: loop && { overruns: loop.overruns, lastLatenessMs: roundMs(loop.lastLatenessMs), ...(loop.slot === undefined ? {} : { phaseSlot: loop.slot, phaseSlots: loop.slots }) },
    })),
    uplink: m.uplink,
  };
}
