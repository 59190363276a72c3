/** @module The uplink's Prometheus lines for the agent's `/metrics` (format 0.0.4). */
import type { UplinkStats } from "./uplink.ts";

/**
 * Metric families for spool depth, drops and uplink state; the agent core appends them to /metrics.
 * @example body += renderUplinkMetrics(uplink.stats());
 */
export function renderUplinkMetrics(s: UplinkStats): string {
  const lines: string[] = [];
  const m = (name: string, type: "gauge" | "counter", help: string, value: number, labels = "") =>
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name}${labels} ${value}`);
  m("edgeprobe_spool_bytes", "gauge", "Bytes in the telemetry spool on disk.", s.spool.bytes);
  m("edgeprobe_spool_records", "gauge", "Telemetry records not yet acknowledged by the collector.", s.spool.records);
  m("edgeprobe_spool_dropped_records_total", "counter", "Records dropped unsent because the spool was full.", s.spool.droppedRecords);
  m("edgeprobe_spool_dropped_bytes_total", "counter", "Bytes dropped unsent because the spool was full.", s.spool.droppedBytes);
  m("edgeprobe_spool_repaired_frames_total", "counter", "Torn or corrupt spool tails cut at start-up.", s.spool.repairedFrames);
  lines.push("# HELP edgeprobe_uplink_state Uplink state (1 on the current one).", "# TYPE edgeprobe_uplink_state gauge");
  for (const st of ["idle", "connected", "backoff", "closed"]) lines.push(`edgeprobe_uplink_state{state="${st}"} ${s.state === st ? 1 : 0}`);
  m("edgeprobe_uplink_sent_batches_total", "counter", "Batches the collector acknowledged.", s.sentBatches);
  m("edgeprobe_uplink_sent_records_total", "counter", "Records sent in acknowledged batches.", s.sentRecords);
  m("edgeprobe_uplink_failed_sends_total", "counter", "Sends that failed and were retried.", s.failedSends);
  m("edgeprobe_uplink_lost_events_total", "counter", "Events that could not be spooled (encode or disk error).", s.lostEvents);
  m("edgeprobe_uplink_last_ack_seq", "gauge", "The collector's last acknowledged seq of the current stream.", s.lastAck?.seq ?? 0);
  m("edgeprobe_uplink_backoff_seconds", "gauge", "Current retry delay while backing off.", s.backoffMs / 1000);
  m("edgeprobe_spool_fault_records_total", "counter", "Records dropped because the disk refused a write or no spool could be opened.", s.spool.faultRecords ?? 0);
  m("edgeprobe_telemetry_degraded", "gauge", "1 while the spool cannot be opened or written (probing and /healthz go on).", s.telemetry?.status === "degraded" ? 1 : 0);
  lines.push("# HELP edgeprobe_uplink_rejected_records_total Records in batches the collector refused for good (400/403), quarantined, by problem type.", "# TYPE edgeprobe_uplink_rejected_records_total counter");
  for (const [reason, n] of Object.entries(s.rejectedRecords ?? {})) lines.push(`edgeprobe_uplink_rejected_records_total{reason="${reason}"} ${n}`);
  m("edgeprobe_uplink_ack_protocol_errors_total", "counter", "Acks above the highest seq spooled for their boot: refused and resent.", s.ackProtocolErrors ?? 0);
  m("edgeprobe_uplink_steers_total", "counter", "Steering hints followed: moved to the collector that consumes this agent's records.", s.steers ?? 0);
  m("edgeprobe_uplink_steers_ignored_total", "counter", "Steering hints naming a URL outside telemetry.collector and telemetry.failover: ignored.", s.steersIgnored ?? 0);
  return lines.join("\n") + "\n";
}
