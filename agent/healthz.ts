/**
 * @module The pre-encoded /healthz and /readyz answers. Re-encoded only when the verdict changes,
 * so a load balancer polling many times a second costs one socket write (design.md: "Never waits
 * on I/O").
 */
import { encodeFastResponse } from "../server/fast_response.ts";
import { PROBLEM_JSON } from "../server/problem.ts";
import type { FastResponse } from "../server/types.ts";
import type { NodeVerdict } from "./health.ts";

export interface HealthSnapshot {
  readonly healthz: FastResponse;
  readonly readyz: FastResponse;
}

export interface SnapshotInput {
  readonly verdict: NodeVerdict;
  readonly draining: boolean;
  /** What /healthz answers while DEGRADED (config health.degraded). */
  readonly degradedStatus: 200 | 503;
  readonly agentId: string;
}

/** TS 29.571 §5.2.4.1 ProblemDetails; `cause` is ours (an application cause, as 29.571 allows). */
function problem(status: number, title: string, detail: string, cause: string, extra: Record<string, unknown>): FastResponse {
  return encodeFastResponse(status, PROBLEM_JSON, JSON.stringify({ type: "about:blank", title, status, detail, cause, ...extra }));
}

export function encodeHealthSnapshot(input: SnapshotInput): HealthSnapshot {
  const { verdict, draining, degradedStatus, agentId } = input;
  let healthz: FastResponse;
  if (draining) {
    healthz = problem(503, "Draining", `${agentId} is shutting down`, "DRAINING", {});
  } else if (verdict.status === "DOWN") {
    healthz = problem(503, "Node DOWN", `critical probes unhealthy: ${verdict.downCauses.join(", ")}`, "CRITICAL_PROBE_UNHEALTHY", {
      node: agentId,
      nodeStatus: "DOWN",
      failingProbes: verdict.downCauses,
      degradedProbes: verdict.degradedCauses,
    });
  } else if (verdict.status === "DEGRADED") {
    const body = { status: "DEGRADED", degradedProbes: verdict.degradedCauses };
    healthz = degradedStatus === 200
      ? encodeFastResponse(200, "application/json", JSON.stringify(body))
      : problem(503, "Node DEGRADED", `non-critical probes unhealthy: ${verdict.degradedCauses.join(", ")}`, "NON_CRITICAL_PROBE_UNHEALTHY", {
        node: agentId,
        nodeStatus: "DEGRADED",
        degradedProbes: verdict.degradedCauses,
      });
  } else {
    healthz = encodeFastResponse(200, "application/json", '{"status":"UP"}');
  }
  const readyz = draining
    ? problem(503, "Not ready", `${agentId} is shutting down`, "DRAINING", {})
    : verdict.criticalKnown
    ? encodeFastResponse(200, "application/json", '{"ready":true}')
    : problem(503, "Not ready", "waiting for the first result of every critical probe", "NO_VERDICT_YET", {});
  return { healthz, readyz };
}
