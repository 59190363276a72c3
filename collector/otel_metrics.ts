/**
 * @module The collector's own OpenTelemetry instruments (docs/opentelemetry.md): ingest totals as
 * observable counters, read from the same counters /metrics shows, so an OTLP export and a
 * Prometheus scrape agree. Through `@opentelemetry/api` only: a no-op until `startOtel` runs.
 */
import { type BatchObservableCallback, metrics } from "@opentelemetry/api";
import type { IngestCounters } from "./ingest.ts";

/** Register the instruments; returns the function that unregisters them. */
export function instrumentCollector(counters: IngestCounters): () => void {
  const meter = metrics.getMeter("edgeprobe-collector");
  const records = meter.createObservableCounter("edgeprobe.collector.ingest.records", { description: "Telemetry records stored (replays excluded).", unit: "{record}" });
  const duplicates = meter.createObservableCounter("edgeprobe.collector.ingest.duplicates", { description: "Replayed records ignored by the (agentId, bootId, seq) check.", unit: "{record}" });
  const bytes = meter.createObservableCounter("edgeprobe.collector.ingest.bytes", { description: "Ingest body bytes accepted.", unit: "By" });
  const batches = meter.createObservableCounter("edgeprobe.collector.ingest.batches", { description: "Ingest requests by outcome: ok, or why it was refused (unauthorized, too-large, malformed, ...).", unit: "{batch}" });
  const callback: BatchObservableCallback = (r) => {
    r.observe(records, counters.records);
    r.observe(duplicates, counters.duplicates);
    r.observe(bytes, counters.bytes);
    for (const [outcome, n] of Object.entries(counters.batches)) r.observe(batches, n, { outcome });
  };
  meter.addBatchObservableCallback(callback, [records, duplicates, bytes, batches]);
  return () => meter.removeBatchObservableCallback(callback, [records, duplicates, bytes, batches]);
}
