/** @module The edgeprobe collector: ingest, store, fleet API, SSE, metrics. */
export { type CollectorDeps, createCollectorHandler, type RunningCollector, startCollector } from "./collector.ts";
export { type CollectorConfig, collectorConfigSchema, CollectorConfigError, loadCollectorConfig, parseCollectorConfig } from "./config.ts";
export type * from "./store.ts";
export { openSqliteStore, type SqliteStoreOptions } from "./sqlite_store.ts";
export { RELATIVE_ERROR } from "./sketch.ts";
export { instrumentCollector } from "./otel_metrics.ts";
