/**
 * @module What the agent core emits for telemetry (agent/uplink.ts turns these into wire records).
 * The scheduler fans every result out here and to health; a sink must never block (Cloudprober's
 * surfacers: "Write() is expected to be non-blocking").
 */
import type { Facts, ProbeResult } from "../probes/types.ts";
import type { ProbeState, Verdict } from "../telemetry/wire_tables.ts";

// States and verdicts are wire values: telemetry/wire_tables.ts holds them and their codes.
export type { ProbeState, Verdict };

export type AgentEvent =
  | { readonly type: "probe-result"; readonly probe: string; readonly kind: string; readonly result: ProbeResult }
  | { readonly type: "state-change"; readonly at: number; readonly probe: string; readonly from: ProbeState; readonly to: ProbeState }
  | { readonly type: "verdict-change"; readonly at: number; readonly from: Verdict; readonly to: Verdict; readonly causes: readonly string[] }
  | { readonly type: "peer-restart"; readonly at: number; readonly probe: string; readonly detail: Facts }
  | { readonly type: "config-reload"; readonly at: number; readonly added: readonly string[]; readonly removed: readonly string[]; readonly changed: readonly string[] }
  | { readonly type: "agent-start"; readonly at: number; readonly version: string }
  | { readonly type: "agent-stop"; readonly at: number; readonly reason: string };

/** Where the agent core sends events. */
export interface EventSink {
  emit(event: AgentEvent): void;
}

/** The telemetry uplink as the agent core sees it (agent/uplink.ts implements it). */
export interface TelemetryUplink extends EventSink {
  /** For /status: spool depth, drops, connection state, last ack ... */
  stats(): unknown;
  /** Prometheus text lines for the agent's /metrics (spool, drops, uplink state). */
  metrics(): string;
  /** Stop sending and persist spool state; resolves within the signal's bound. */
  close(signal: AbortSignal): Promise<void>;
}
