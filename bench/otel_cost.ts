/**
 * What the probe instrumentation costs per run: with no SDK (the API's no-op), and with the SDK
 * recording into an exporter that drops everything (so no network is timed). Also the one-off
 * cost of loading the SDK. Run: `bun bench/otel_cost.ts` / `deno run -A bench/otel_cost.ts`.
 */
import type { ProbeResult } from "../probes/types.ts";
import { createTracingSink } from "../agent/tracing.ts";

const N = 200_000;
const results: ProbeResult[] = [
  { ok: true, startedAt: Date.now(), latencyMs: 1.2, facts: { localPort: 40000 } },
  { ok: false, startedAt: Date.now(), latencyMs: 80, failure: { kind: "timeout", message: "Cannot get an answer: no response within 80ms" } },
];
const describe = () => ({ kind: "tcp", target: "127.0.0.1:9", interface: "N4" });

function perRun(sink: { emit: (e: never) => void }): number {
  for (let i = 0; i < 20_000; i++) sink.emit({ type: "probe-result", probe: "p", kind: "tcp", result: results[i & 1] } as never);
  const t0 = performance.now();
  for (let i = 0; i < N; i++) sink.emit({ type: "probe-result", probe: `p${i & 7}`, kind: "tcp", result: results[i & 1] } as never);
  return ((performance.now() - t0) * 1000) / N;
}

const noop = perRun(createTracingSink({ describe }));

const t0 = performance.now();
const rss0 = process.memoryUsage().rss;
const { TracerProvider, BatchSpanProcessor } = await import("@opentelemetry/sdk-trace");
const { MeterProvider, PeriodicExportingMetricReader } = await import("@opentelemetry/sdk-metrics");
await import("../common/otel_export.ts");
const loadMs = performance.now() - t0;
const loadMb = (process.memoryUsage().rss - rss0) / 1e6;

const drop = { export: (_x: unknown, cb: (r: { code: number }) => void) => cb({ code: 0 }), shutdown: () => Promise.resolve(), forceFlush: () => Promise.resolve() };
const tracerProvider = new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter: drop as never, scheduledDelayMillis: 100 })] });
const meterProvider = new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter: { ...drop, selectAggregationTemporality: undefined } as never, exportIntervalMillis: 1000 })] });
const recording = perRun(createTracingSink({ describe, tracerProvider, meterProvider }));
await tracerProvider.shutdown();
await meterProvider.shutdown();

const rt = (globalThis as { Bun?: unknown }).Bun ? "bun" : "deno";
console.log(JSON.stringify({ runtime: rt, runs: N, noopUsPerRun: +noop.toFixed(3), sdkUsPerRun: +recording.toFixed(3), sdkLoadMs: Math.round(loadMs), sdkLoadRssMb: +loadMb.toFixed(1) }));
