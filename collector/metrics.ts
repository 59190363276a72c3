/** @module Prometheus text exposition (format 0.0.4) of the collector and the fleet it sees. */
import type { IngestCounters } from "./ingest.ts";
import type { Store } from "./store.ts";

const esc = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
const labels = (l: Record<string, string>) => `{${Object.entries(l).map(([k, v]) => `${k}="${esc(v)}"`).join(",")}}`;

export interface MetricsInput {
  readonly store: Store;
  readonly counters: IngestCounters;
  readonly sseClients: number;
  readonly now: number;
  readonly staleAfterMs: number;
}

/** The whole /metrics body. */
export async function renderMetrics(m: MetricsInput): Promise<string> {
  const out: string[] = [];
  const family = (name: string, type: "counter" | "gauge", help: string) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  family("edgeprobe_collector_ingest_batches_total", "counter", "Ingest requests by result.");
  for (const [result, n] of Object.entries(m.counters.batches)) out.push(`edgeprobe_collector_ingest_batches_total${labels({ result })} ${n}`);
  family("edgeprobe_collector_ingest_records_total", "counter", "Records stored.");
  out.push(`edgeprobe_collector_ingest_records_total ${m.counters.records}`);
  family("edgeprobe_collector_ingest_duplicates_total", "counter", "Replayed records ignored (idempotent on agentId, bootId, seq).");
  out.push(`edgeprobe_collector_ingest_duplicates_total ${m.counters.duplicates}`);
  family("edgeprobe_collector_ingest_bytes_total", "counter", "Ingest body bytes read.");
  out.push(`edgeprobe_collector_ingest_bytes_total ${m.counters.bytes}`);
  family("edgeprobe_collector_ingest_clamped_records_total", "counter", "Records whose time was outside limits.recordTimeWindow of the receive time, stored at the receive time.");
  out.push(`edgeprobe_collector_ingest_clamped_records_total ${m.counters.clamped}`);
  family("edgeprobe_collector_ingest_steered_total", "counter", "Accepted ingest answers that named the collector consuming the agent's partition (Edgeprobe-Steer).");
  out.push(`edgeprobe_collector_ingest_steered_total ${m.counters.steered}`);
  const st = await m.store.stats();
  family("edgeprobe_collector_gap_records_total", "counter", "Seqs skipped because agents dropped them from a full spool.");
  out.push(`edgeprobe_collector_gap_records_total ${st.gapRecords}`);
  family("edgeprobe_collector_sse_clients", "gauge", "Connected event-stream clients.");
  out.push(`edgeprobe_collector_sse_clients ${m.sseClients}`);

  const fleet = await m.store.fleet(m.now);
  family("edgeprobe_node_up", "gauge", "1 when the node sent telemetry within staleAfter and has not stopped.");
  for (const n of fleet) out.push(`edgeprobe_node_up${labels({ node: n.id })} ${n.running && m.now - n.lastSeen < m.staleAfterMs ? 1 : 0}`);
  family("edgeprobe_node_verdict", "gauge", "The node's last reported verdict (1 on the current one).");
  for (const n of fleet) if (n.verdict) out.push(`edgeprobe_node_verdict${labels({ node: n.id, verdict: n.verdict })} 1`);
  family("edgeprobe_node_spool_dropped_records_total", "counter", "Records the node's spool dropped when full.");
  for (const n of fleet) out.push(`edgeprobe_node_spool_dropped_records_total${labels({ node: n.id })} ${n.spoolDrops}`);
  family("edgeprobe_node_peer_restarts_total", "counter", "Peer restarts the node detected.");
  for (const n of fleet) out.push(`edgeprobe_node_peer_restarts_total${labels({ node: n.id })} ${n.peerRestarts}`);

  const probes = await m.store.probes();
  family("edgeprobe_probe_healthy", "gauge", "1 healthy, 0 unhealthy, -1 unknown.");
  for (const { node, probe } of probes) {
    out.push(`edgeprobe_probe_healthy${labels({ node, probe: probe.name, kind: probe.kind })} ${probe.state === "healthy" ? 1 : probe.state === "unhealthy" ? 0 : -1}`);
  }
  family("edgeprobe_probe_last_latency_seconds", "gauge", "Latency of the last result.");
  for (const { node, probe } of probes) if (probe.last) out.push(`edgeprobe_probe_last_latency_seconds${labels({ node, probe: probe.name })} ${probe.last.latencyMs / 1000}`);
  family("edgeprobe_probe_results_total", "counter", "Probe results stored, by outcome.");
  for (const { node, probe } of probes) {
    out.push(`edgeprobe_probe_results_total${labels({ node, probe: probe.name, result: "ok" })} ${probe.okTotal}`);
    out.push(`edgeprobe_probe_results_total${labels({ node, probe: probe.name, result: "fail" })} ${probe.failTotal}`);
  }
  return out.join("\n") + "\n";
}
