import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { DataPointType, type HistogramMetricData, MeterProvider, MetricReader, type SumMetricData } from "@opentelemetry/sdk-metrics";
import { createTracingSink, METRIC, serverOf, transportOf } from "./tracing.ts";
import type { ProbeResult } from "../probes/types.ts";

/** A reader the test collects from on demand (no timer). */
class PullReader extends MetricReader {
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

const okRun: ProbeResult = { ok: true, startedAt: 1_700_000_000_000, latencyMs: 2.5, facts: { recoveryTimeStamp: 3900000000, nodeId: "upf-a" } };
const failedRun: ProbeResult = {
  ok: false,
  startedAt: 1_700_000_001_000,
  latencyMs: 2000,
  failure: { kind: "timeout", message: "Cannot get an answer: no response within 2000ms" },
};
const restartRun: ProbeResult = {
  ok: true,
  startedAt: 1_700_000_002_000,
  latencyMs: 1,
  events: [{ type: "peer-restart", detail: { previous: 1, current: 2 } }],
};
const probes: Record<string, { kind: string; target: string; interface?: string; options?: Record<string, unknown> }> = {
  "upf-n4": { kind: "pfcp", target: "10.0.4.1", interface: "N4" },
  "pcscf": { kind: "sip", target: "[2001:db8::5]:5061", interface: "Gm", options: { transport: "tls" } },
};

function sdk() {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });
  const reader = new PullReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const sink = createTracingSink({ describe: (n) => probes[n], kinds: { pfcp: { defaultPort: 8805 } }, tracerProvider, meterProvider });
  return { spans, reader, sink };
}

describe("createTracingSink()", () => {
  it("is a no-op that does not throw when no SDK is registered", () => {
    // The global API providers are the no-op ones in this process: nothing registers an SDK.
    let described = 0;
    const sink = createTracingSink({
      describe: (n) => {
        described++;
        return probes[n];
      },
    });
    const t0 = performance.now();
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      sink.emit({ type: "probe-result", probe: "upf-n4", kind: "pfcp", result: i % 2 ? okRun : failedRun });
    }
    const usPerRun = ((performance.now() - t0) * 1000) / n;
    // A non-recording span never asks for the probe's config: no attribute is built.
    assert.equal(described, 0);
    // Generous bound for a loaded CI core; measured about 0.3 µs (docs/opentelemetry.md).
    assert.ok(usPerRun < 20, `no-op instrumentation cost ${usPerRun.toFixed(2)} µs per run`);
    sink.emit({ type: "agent-stop", at: 0, reason: "test" });
  });

  it("never throws into the agent, even when describing a probe fails", () => {
    const spans = new InMemorySpanExporter();
    const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });
    const sink = createTracingSink({
      describe: () => {
        throw new Error("boom");
      },
      tracerProvider,
    });
    assert.doesNotThrow(() => sink.emit({ type: "probe-result", probe: "x", kind: "tcp", result: okRun }));
    assert.equal(spans.getFinishedSpans().length, 1, "the span is still ended");
  });

  it("makes one span per run with probe, peer, transport, interface, result and facts", () => {
    const { spans, sink } = sdk();
    sink.emit({ type: "probe-result", probe: "upf-n4", kind: "pfcp", result: okRun });
    const [s] = spans.getFinishedSpans();
    assert.equal(s.name, "probe pfcp");
    assert.equal(s.kind, 2 /* SpanKind.CLIENT */);
    assert.deepEqual(s.attributes, {
      "edgeprobe.probe.name": "upf-n4",
      "edgeprobe.probe.kind": "pfcp",
      "edgeprobe.result": "ok",
      "server.address": "10.0.4.1",
      "server.port": 8805,
      "network.transport": "udp",
      "edgeprobe.interface": "N4",
      "edgeprobe.fact.recoveryTimeStamp": 3900000000,
      "edgeprobe.fact.nodeId": "upf-a",
    });
    assert.equal(s.status.code, 0 /* UNSET */);
    // The span covers the run: it starts at startedAt and lasts latencyMs.
    assert.equal(s.startTime[0], 1_700_000_000);
    assert.equal(s.duration[0] * 1e3 + s.duration[1] / 1e6, 2.5);
  });

  it("marks a failed run ERROR with the failure kind as error.type", () => {
    const { spans, sink } = sdk();
    sink.emit({ type: "probe-result", probe: "pcscf", kind: "sip", result: failedRun });
    const [s] = spans.getFinishedSpans();
    assert.equal(s.name, "probe sip");
    assert.equal(s.status.code, 2 /* ERROR */);
    assert.equal(s.status.message, failedRun.failure!.message);
    assert.equal(s.attributes["edgeprobe.result"], "timeout");
    assert.equal(s.attributes["error.type"], "timeout");
    assert.equal(s.attributes["server.address"], "2001:db8::5");
    assert.equal(s.attributes["server.port"], 5061);
    assert.equal(s.attributes["network.transport"], "tcp");
  });

  it("adds a peer-restart span event with its detail", () => {
    const { spans, sink } = sdk();
    sink.emit({ type: "probe-result", probe: "upf-n4", kind: "pfcp", result: restartRun });
    const [s] = spans.getFinishedSpans();
    assert.equal(s.events.length, 1);
    assert.equal(s.events[0].name, "peer-restart");
    assert.deepEqual(s.events[0].attributes, { "edgeprobe.event.previous": 1, "edgeprobe.event.current": 2 });
  });

  it("records the duration histogram in seconds and counts runs by result", async () => {
    const { reader, sink } = sdk();
    sink.emit({ type: "probe-result", probe: "upf-n4", kind: "pfcp", result: okRun });
    sink.emit({ type: "probe-result", probe: "upf-n4", kind: "pfcp", result: okRun });
    sink.emit({ type: "probe-result", probe: "upf-n4", kind: "pfcp", result: failedRun });
    const { resourceMetrics } = await reader.collect();
    const all = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    const hist = all.find((m) => m.descriptor.name === METRIC.duration) as HistogramMetricData;
    assert.equal(hist.descriptor.unit, "s");
    assert.equal(hist.dataPointType, DataPointType.HISTOGRAM);
    const okPoint = hist.dataPoints.find((p) => p.attributes["edgeprobe.result"] === "ok")!;
    assert.equal(okPoint.value.count, 2);
    assert.equal(okPoint.value.sum, 0.005);
    assert.ok(okPoint.value.buckets.boundaries.includes(0.0025), "latency buckets are in seconds");
    const failPoint = hist.dataPoints.find((p) => p.attributes["edgeprobe.result"] === "timeout")!;
    assert.equal(failPoint.value.sum, 2);
    const runs = all.find((m) => m.descriptor.name === METRIC.runs) as SumMetricData;
    const counts = Object.fromEntries(runs.dataPoints.map((p) => [p.attributes["edgeprobe.result"], p.value]));
    assert.deepEqual(counts, { ok: 2, timeout: 1 });
    assert.deepEqual(Object.keys(runs.dataPoints[0].attributes).sort(), ["edgeprobe.probe.kind", "edgeprobe.probe.name", "edgeprobe.result"]);
  });

  it("ignores events other than probe-result", () => {
    const { spans, sink } = sdk();
    sink.emit({ type: "peer-restart", at: 1, probe: "upf-n4", detail: { a: 1 } });
    sink.emit({ type: "verdict-change", at: 1, from: "UP", to: "DOWN", causes: [] });
    assert.equal(spans.getFinishedSpans().length, 0);
  });
});

describe("serverOf() and transportOf()", () => {
  it("reads host:port, [v6]:port, a bare host with the kind's port, and URLs", () => {
    assert.deepEqual(serverOf("10.0.0.1:2152"), { address: "10.0.0.1", port: 2152 });
    assert.deepEqual(serverOf("[::1]:3868"), { address: "::1", port: 3868 });
    assert.deepEqual(serverOf("upf.local", 8805), { address: "upf.local", port: 8805 });
    assert.deepEqual(serverOf("https://nrf.5gc:8443/nnrf-nfm/v1"), { address: "nrf.5gc", port: 8443 });
    assert.deepEqual(serverOf("http://[::1]/health"), { address: "::1", port: 80 });
    assert.equal(serverOf("upf.local"), undefined);
  });
  it("takes the transport from options first, then from the kind", () => {
    assert.equal(transportOf({ kind: "sip", target: "x", options: { transport: "udp" } }), "udp");
    assert.equal(transportOf({ kind: "sip", target: "x", options: { transport: "tls" } }), "tcp");
    assert.equal(transportOf({ kind: "gtpu", target: "x" }), "udp");
    assert.equal(transportOf({ kind: "diameter", target: "x" }), "tcp");
    assert.equal(transportOf({ kind: "fake", target: "x" }), undefined);
  });
});
