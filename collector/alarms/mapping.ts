/**
 * @module The documented mapping from agent events to alarm conditions (docs/alarms.md, "Mapping").
 * Pure: an event plus what is known of the probe in, raise/clear actions out.
 *
 * Probable causes are the ITU-T X.733 §8.1.2.2 / X.721 names, written in the UPPER_SNAKE form of
 * 3GPP TS 28.111 Annex B; alarm types are the X.733 event types as TS 28.111 AlarmType.
 */
import type { ProbeMeta, ProbeRecord } from "../../telemetry/record.ts";
import type { Condition } from "./types.ts";

/** The closed failure kinds (design.md "Health model"), as the telemetry record carries them. */
export type FailureKind = NonNullable<ProbeRecord["failure"]>["kind"];

/** A closed failure kind → X.733 probable cause. */
export const PROBABLE_CAUSE: Readonly<Record<FailureKind, string>> = {
  timeout: "RESPONSE_TIME_EXCESSIVE",
  unreachable: "REMOTE_NODE_TRANSMISSION_ERROR",
  refused: "UNDERLYING_RESOURCE_UNAVAILABLE",
  malformed: "COMMUNICATIONS_PROTOCOL_ERROR",
  rejected: "APPLICATION_SUBSYSTEM_FAILURE",
  local: "LOCAL_NODE_TRANSMISSION_ERROR",
};

export type Action = { readonly op: "raise"; readonly condition: Condition } | { readonly op: "clear"; readonly key: string };

/** An agent event as the alarm engine receives it (from the store's change feed). */
export type AlarmInput =
  | { readonly type: "verdict"; readonly node: string; readonly at: number; readonly to: "UP" | "DEGRADED" | "DOWN"; readonly causes: readonly string[] }
  | { readonly type: "state"; readonly node: string; readonly at: number; readonly probe: string; readonly to: "unknown" | "healthy" | "unhealthy"; readonly failure?: { readonly kind: FailureKind; readonly message?: string } }
  | { readonly type: "peer-restart"; readonly node: string; readonly at: number; readonly probe: string; readonly detail: Readonly<Record<string, unknown>>; readonly recent: number }
  | { readonly type: "spool-drop"; readonly node: string; readonly at: number; readonly records: number; readonly bytes: number }
  | { readonly type: "agent-start"; readonly node: string; readonly at: number }
  | { readonly type: "agent-stop"; readonly node: string; readonly at: number; readonly reason: string }
  | { readonly type: "silent"; readonly node: string; readonly at: number; readonly lastSeen: number }
  | { readonly type: "seen"; readonly node: string; readonly at: number };

export const keys = {
  verdict: (node: string) => `verdict|${node}`,
  probe: (node: string, probe: string) => `probe|${node}|${probe}`,
  silent: (node: string) => `silent|${node}`,
  stopped: (node: string) => `stopped|${node}`,
  spool: (node: string) => `spool|${node}`,
  restart: (node: string, probe: string) => `restart|${node}|${probe}`,
  peer: (peer: string) => `peer|${peer}`,
  local: (node: string) => `local|${node}`,
};

/** "node=upf-17,interface=N4,probe=smf-n4": the managed object, most significant part first. */
export function objectInstance(node: string, probe?: string, meta?: ProbeMeta): string {
  let s = `node=${node}`;
  if (meta?.interface) s += `,interface=${meta.interface}`;
  if (probe) s += `,probe=${probe}`;
  return s;
}

/** Peer restarts of one probe within the repeat window that make a WARNING. */
export const PEER_RESTART_REPEAT = 2;

/**
 * The actions one event asks for. `meta` is what the agent told of the probe (undefined for
 * agents that do not send it: the probe then counts as critical, the safe side).
 */
export function mapEvent(e: AlarmInput, meta?: ProbeMeta): Action[] {
  switch (e.type) {
    case "verdict": {
      const key = keys.verdict(e.node);
      if (e.to === "UP") return [{ op: "clear", key }];
      const down = e.to === "DOWN";
      return [{
        op: "raise",
        condition: {
          key,
          kind: "node-verdict",
          node: e.node,
          objectInstance: objectInstance(e.node),
          alarmType: down ? "COMMUNICATIONS_ALARM" : "QUALITY_OF_SERVICE_ALARM",
          probableCause: down ? "UNDERLYING_RESOURCE_UNAVAILABLE" : "PERFORMANCE_DEGRADED",
          specificProblem: `node ${e.to}${e.causes.length ? `: ${e.causes.join(", ")} unhealthy` : ""}`,
          severity: down ? "CRITICAL" : "MINOR",
          causes: [...e.causes],
        },
      }];
    }
    case "state": {
      const key = keys.probe(e.node, e.probe);
      if (e.to !== "unhealthy") return [{ op: "clear", key }];
      const kind = e.failure?.kind ?? "timeout";
      const critical = meta?.critical ?? true;
      return [{
        op: "raise",
        condition: {
          key,
          kind: "probe-unhealthy",
          node: e.node,
          probe: e.probe,
          ...(meta?.target ? { target: meta.target } : {}),
          ...(meta?.interface ? { interface: meta.interface } : {}),
          objectInstance: objectInstance(e.node, e.probe, meta),
          alarmType: "COMMUNICATIONS_ALARM",
          probableCause: PROBABLE_CAUSE[kind] ?? "INDETERMINATE",
          specificProblem: `${meta?.kind ?? "probe"} ${e.probe}${meta?.target ? ` to ${meta.target}` : ""}: ${kind}${e.failure?.message ? ` (${e.failure.message})` : ""}`,
          severity: critical ? "MAJOR" : "MINOR",
        },
      }];
    }
    case "peer-restart": {
      if (e.recent < PEER_RESTART_REPEAT) return [];
      return [{
        op: "raise",
        condition: {
          key: keys.restart(e.node, e.probe),
          kind: "peer-restart",
          node: e.node,
          probe: e.probe,
          ...(meta?.target ? { target: meta.target } : {}),
          ...(meta?.interface ? { interface: meta.interface } : {}),
          objectInstance: objectInstance(e.node, e.probe, meta),
          alarmType: "PROCESSING_ERROR_ALARM",
          probableCause: "SOFTWARE_PROGRAM_ABNORMALLY_TERMINATED",
          specificProblem: `peer of ${e.probe}${meta?.target ? ` (${meta.target})` : ""} restarted ${e.recent} times`,
          severity: "WARNING",
        },
      }];
    }
    case "spool-drop":
      return [{
        op: "raise",
        condition: {
          key: keys.spool(e.node),
          kind: "spool-drop",
          node: e.node,
          objectInstance: objectInstance(e.node),
          alarmType: "QUALITY_OF_SERVICE_ALARM",
          probableCause: "QUEUE_SIZE_EXCEEDED",
          specificProblem: `telemetry spool full: ${e.records} records dropped this boot`,
          severity: "WARNING",
        },
      }];
    case "agent-start":
      return [{ op: "clear", key: keys.stopped(e.node) }, { op: "clear", key: keys.silent(e.node) }];
    case "agent-stop":
      return [{ op: "clear", key: keys.silent(e.node) }, {
        op: "raise",
        condition: {
          key: keys.stopped(e.node),
          kind: "agent-stopped",
          node: e.node,
          objectInstance: objectInstance(e.node),
          alarmType: "PROCESSING_ERROR_ALARM",
          probableCause: "APPLICATION_SUBSYSTEM_FAILURE",
          specificProblem: `agent stopped: ${e.reason}`,
          severity: "WARNING",
        },
      }];
    case "silent":
      return [{
        op: "raise",
        condition: {
          key: keys.silent(e.node),
          kind: "agent-silent",
          node: e.node,
          objectInstance: objectInstance(e.node),
          alarmType: "COMMUNICATIONS_ALARM",
          probableCause: "LOSS_OF_SIGNAL",
          specificProblem: `agent silent: nothing received since ${new Date(e.lastSeen).toISOString()}`,
          severity: "MAJOR",
        },
      }];
    case "seen":
      return [{ op: "clear", key: keys.silent(e.node) }];
  }
}
