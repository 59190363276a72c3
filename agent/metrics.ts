/** @module The agent's Prometheus /metrics: probes, health, server, uplink, process. */
import { PromText } from "../common/prom_text.ts";
import { FAILURE_KINDS } from "../probes/types.ts";
import { LATENCY_BUCKETS, type ProbeState } from "./probe_state.ts";
import type { NodeVerdict } from "./health.ts";
import type { LoopStats } from "./scheduler.ts";

export interface MetricsInput {
  readonly agentId: string;
  readonly version: string;
  readonly runtime: string;
  readonly target: string;
  readonly startedAtMs: number;
  readonly probes: ReadonlyArray<{ readonly kind: string; readonly state: ProbeState; readonly loop?: LoopStats }>;
  readonly verdict: NodeVerdict;
  readonly draining: boolean;
  readonly connections: number;
  readonly eventLoopLagMs: number;
  readonly reloads: { readonly ok: number; readonly failed: number };
  /** The telemetry uplink's own metric lines, when it runs. */
  readonly uplinkText?: string;
  readonly memory: { readonly rss: number; readonly heapUsed: number };
  readonly cpuSeconds: number;
}

export function renderMetrics(m: MetricsInput): string {
  const p = new PromText();
  p.family("edgeprobe_build_info", "info", "Build and runtime of this agent.")
    .sample("edgeprobe_build_info", { version: m.version, runtime: m.runtime, target: m.target, agent: m.agentId }, 1);
  p.family("edgeprobe_node_status", "stateset", "The node verdict, one series per status; 1 marks the current one.");
  for (const s of ["UP", "DEGRADED", "DOWN"]) p.sample("edgeprobe_node_status", { status: s }, m.verdict.status === s ? 1 : 0);
  p.family("edgeprobe_draining", "gauge", "1 while shutting down.").sample("edgeprobe_draining", {}, m.draining ? 1 : 0);

  p.family("edgeprobe_probe_success", "gauge", "1 if the last run of the probe succeeded.");
  for (const { kind, state } of m.probes) {
    if (state.lastResult) p.sample("edgeprobe_probe_success", { probe: state.config.name, kind, interface: state.config.interface }, state.lastResult.ok ? 1 : 0);
  }
  p.family("edgeprobe_probe_state", "stateset", "Probe health after rise/fall hysteresis; 1 marks the current state.");
  for (const { kind, state } of m.probes) {
    for (const s of ["unknown", "healthy", "unhealthy"]) {
      p.sample("edgeprobe_probe_state", { probe: state.config.name, kind, critical: String(state.config.critical), state: s }, state.health.state === s ? 1 : 0);
    }
  }
  p.family("edgeprobe_probe_runs_total", "counter", "Probe runs by outcome: ok or the failure kind.");
  for (const { kind, state } of m.probes) {
    const failed = Object.values(state.failuresByKind).reduce((a, b) => a + b, 0);
    p.sample("edgeprobe_probe_runs_total", { probe: state.config.name, kind, result: "ok" }, state.runs - failed);
    for (const f of FAILURE_KINDS) p.sample("edgeprobe_probe_runs_total", { probe: state.config.name, kind, result: f }, state.failuresByKind[f] ?? 0);
  }
  p.family("edgeprobe_probe_latency_seconds", "histogram", "Latency of successful probe runs.");
  for (const { kind, state } of m.probes) {
    p.histogram("edgeprobe_probe_latency_seconds", { probe: state.config.name, kind }, LATENCY_BUCKETS, state.latencyBuckets, state.latencyCount, state.latencySum);
  }
  p.family("edgeprobe_peer_restarts_total", "counter", "Peer restarts detected (PFCP Recovery Time Stamp, GTP restart counter, Diameter Origin-State-Id).");
  for (const { kind, state } of m.probes) p.sample("edgeprobe_peer_restarts_total", { probe: state.config.name, kind }, state.peerRestarts);
  p.family("edgeprobe_probe_state_changes_total", "counter", "Health state changes of the probe.");
  for (const { kind, state } of m.probes) p.sample("edgeprobe_probe_state_changes_total", { probe: state.config.name, kind }, state.stateChanges);
  p.family("edgeprobe_scheduler_overruns_total", "counter", "Cycles skipped because the previous run was still going.");
  for (const { kind, state, loop } of m.probes) p.sample("edgeprobe_scheduler_overruns_total", { probe: state.config.name, kind }, loop?.overruns ?? 0);
  p.family("edgeprobe_scheduler_lateness_seconds", "gauge", "How late the last run started after its due time.");
  for (const { kind, state, loop } of m.probes) p.sample("edgeprobe_scheduler_lateness_seconds", { probe: state.config.name, kind }, (loop?.lastLatenessMs ?? 0) / 1000);

  p.family("edgeprobe_http_connections", "gauge", "Open connections on the agent's HTTP port.").sample("edgeprobe_http_connections", {}, m.connections);
  p.family("edgeprobe_event_loop_lag_seconds", "gauge", "Event-loop lag measured by a 100 ms ticker.").sample("edgeprobe_event_loop_lag_seconds", {}, m.eventLoopLagMs / 1000);
  p.family("edgeprobe_config_reloads_total", "counter", "Config reloads (SIGHUP) by result.")
    .sample("edgeprobe_config_reloads_total", { result: "ok" }, m.reloads.ok)
    .sample("edgeprobe_config_reloads_total", { result: "failed" }, m.reloads.failed);
  p.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.").sample("process_resident_memory_bytes", {}, m.memory.rss);
  p.family("process_heap_used_bytes", "gauge", "JavaScript heap in use.").sample("process_heap_used_bytes", {}, m.memory.heapUsed);
  p.family("process_cpu_seconds_total", "counter", "User and system CPU time spent.").sample("process_cpu_seconds_total", {}, m.cpuSeconds);
  p.family("process_start_time_seconds", "gauge", "Start time of the process since the epoch.").sample("process_start_time_seconds", {}, Math.floor(m.startedAtMs / 1000));
  return p.toString() + (m.uplinkText ?? "");
}
