/** @module Turn the agent core's AgentEvents into telemetry records (docs/telemetry.md, record table). */
import type { AgentEvent } from "./events.ts";
import type { RecordBody } from "../telemetry/record.ts";

/**
 * One record per event. Probe latency goes from float ms to whole µs (the wire keeps integers).
 * A probe result's own `events` are not copied: the core emits peer restarts as their own events.
 */
export function recordFromEvent(e: AgentEvent): RecordBody {
  switch (e.type) {
    case "probe-result": {
      const r = e.result;
      const latencyUs = Math.max(0, Math.round(r.latencyMs * 1000));
      const failure = r.ok ? undefined : {
        kind: r.failure?.kind ?? "local",
        ...(r.failure?.message ? { message: r.failure.message } : {}),
        ...(r.failure?.reason ? { reason: r.failure.reason } : {}),
      };
      return {
        type: "probe",
        at: Math.max(0, Math.round(r.startedAt)),
        probe: e.probe,
        kind: e.kind,
        ok: r.ok,
        latencyUs,
        ...(failure ? { failure } : {}),
        ...(r.facts && Object.keys(r.facts).length > 0 ? { facts: { ...r.facts } } : {}),
      };
    }
    case "state-change":
      return { type: "state", at: e.at, probe: e.probe, from: e.from, to: e.to };
    case "verdict-change":
      return { type: "verdict", at: e.at, from: e.from, to: e.to, causes: [...e.causes] };
    case "peer-restart":
      return { type: "peer-restart", at: e.at, probe: e.probe, detail: { ...e.detail } };
    case "config-reload":
      return { type: "config-reload", at: e.at, added: [...e.added], removed: [...e.removed], changed: [...e.changed] };
    case "agent-start":
      return { type: "agent-start", at: e.at, version: e.version, labels: {} };
    case "agent-stop":
      return { type: "agent-stop", at: e.at, reason: e.reason };
  }
}
