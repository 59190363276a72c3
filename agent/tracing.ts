/**
 * @module Probe runs as OpenTelemetry signals, through `@opentelemetry/api` only: a span per run,
 * a duration histogram and a run counter. This is the only agent file importing the API
 * (style.md layout). It is an {@link EventSink}: it consumes the `probe-result` events the agent
 * already fans out (agent/events.ts), so the scheduler knows nothing about it.
 *
 * With no SDK registered the API hands out no-op tracers and meters: a run then costs one
 * non-recording span object and a few property reads (docs/opentelemetry.md has the figure).
 * common/otel_export.ts registers the SDK when the config has an `otel:` section.
 */
import {
  type Attributes,
  type Counter,
  type Histogram,
  metrics,
  type MeterProvider,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
  type TracerProvider,
} from "@opentelemetry/api";
import { parseHostPort } from "../probes/mod.ts";
import type { ProbeKind, ProbeResult } from "../probes/types.ts";
import type { AgentEvent, EventSink } from "./events.ts";

/** Instrumentation scope name, as receivers show it (OTel spec: instrumentation scope). */
export const SCOPE_NAME = "edgeprobe.agent";

/** Attribute keys. `server.*`, `network.transport` and `error.type` are OTel semantic conventions. */
export const ATTR = {
  probeName: "edgeprobe.probe.name",
  probeKind: "edgeprobe.probe.kind",
  result: "edgeprobe.result",
  interface: "edgeprobe.interface",
  failureReason: "edgeprobe.failure.reason",
  factPrefix: "edgeprobe.fact.",
  /** Span event attributes: the probe event's detail (recovery values of a peer restart, …). */
  eventPrefix: "edgeprobe.event.",
  serverAddress: "server.address",
  serverPort: "server.port",
  networkTransport: "network.transport",
  errorType: "error.type",
} as const;

export const METRIC = {
  duration: "edgeprobe.probe.duration",
  runs: "edgeprobe.probe.runs",
} as const;

/**
 * Bucket bounds in seconds for probe latency: sub-millisecond loopback answers up to a 10 s
 * timeout. The SDK's default bounds (0, 5, 10, … 10000) assume milliseconds and would put every
 * run in the first bucket (OTel metrics API: `advice.explicitBucketBoundaries`).
 */
export const DURATION_BUCKETS_S: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** The probe config fields the spans describe (a subset of agent/config.ts ProbeConfig). */
export interface TracedProbe {
  readonly kind: string;
  readonly target: string;
  readonly interface?: string;
  readonly options?: Readonly<Record<string, unknown>>;
}

export interface TracingSinkOptions {
  /** The live config of a probe by name; undefined drops target attributes (probe just removed). */
  readonly describe: (probe: string) => TracedProbe | undefined;
  /** For a target's default port. */
  readonly kinds?: Readonly<Record<string, Pick<ProbeKind<unknown>, "defaultPort">>>;
  /** @default the global provider of `@opentelemetry/api` (a no-op until an SDK registers). */
  readonly tracerProvider?: TracerProvider;
  /** @default the global provider. Instruments are made once, here: register the SDK first. */
  readonly meterProvider?: MeterProvider;
  /** Reported as the instrumentation scope version. */
  readonly version?: string;
}

/**
 * Kinds whose transport is fixed. SIP reads `options.transport`; kinds not listed (a test kind)
 * get no `network.transport` rather than a guess.
 */
const TRANSPORT_BY_KIND: Readonly<Record<string, "udp" | "tcp">> = {
  pfcp: "udp", // TS 29.244 §7.1: PFCP runs over UDP port 8805
  gtpu: "udp", // TS 29.281 §4.4.2: UDP port 2152
  gtpc: "udp", // TS 29.274 §4.2: UDP port 2123
  dns: "udp", // RFC 1035 §4.2.1, the runtime resolver's first try
  tcp: "tcp",
  http: "tcp",
  sbi: "tcp", // TS 29.500 §5.2: HTTP/2 over TCP
  etcd: "tcp",
  diameter: "tcp", // the probe uses TCP (RFC 6733 §2.1 allows SCTP too)
};

/** `network.transport` for a probe: "tls" is still TCP underneath (semconv network attributes). */
export function transportOf(p: TracedProbe): "udp" | "tcp" | undefined {
  const t = p.options?.transport;
  if (t === "udp") return "udp";
  if (t === "tcp" || t === "tls") return "tcp";
  return TRANSPORT_BY_KIND[p.kind];
}

/** `server.address` / `server.port` from a target "host:port", "[v6]:port" or a URL. */
export function serverOf(target: string, defaultPort?: number): { address: string; port?: number } | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
    try {
      const u = new URL(target);
      const port = u.port ? Number(u.port) : u.protocol === "https:" ? 443 : u.protocol === "http:" ? 80 : undefined;
      return { address: u.hostname.replace(/^\[|\]$/g, ""), port };
    } catch {
      return undefined;
    }
  }
  try {
    const hp = parseHostPort(target, defaultPort);
    return { address: hp.host, port: hp.port };
  } catch {
    return undefined;
  }
}

/** "ok" or the failure kind: the one label every signal shares. */
export function resultLabel(r: ProbeResult): string {
  return r.ok ? "ok" : r.failure?.kind ?? "local";
}

/** Span attributes of one run (probe identity, peer, result, facts). */
export function spanAttributes(name: string, kind: string, r: ProbeResult, probe: TracedProbe | undefined, defaultPort?: number): Attributes {
  const a: Attributes = { [ATTR.probeName]: name, [ATTR.probeKind]: kind, [ATTR.result]: resultLabel(r) };
  if (probe) {
    const server = serverOf(probe.target, defaultPort);
    if (server) {
      a[ATTR.serverAddress] = server.address;
      if (server.port !== undefined) a[ATTR.serverPort] = server.port;
    }
    const transport = transportOf(probe);
    if (transport) a[ATTR.networkTransport] = transport;
    if (probe.interface) a[ATTR.interface] = probe.interface;
  }
  if (!r.ok) {
    a[ATTR.errorType] = resultLabel(r);
    if (r.failure?.reason) a[ATTR.failureReason] = r.failure.reason;
  }
  for (const [k, v] of Object.entries(r.facts ?? {})) a[ATTR.factPrefix + k] = v;
  return a;
}

/** The metric attributes: few and bounded (probe, kind, result), so series stay countable. */
function metricAttributes(name: string, kind: string, r: ProbeResult): Attributes {
  return { [ATTR.probeName]: name, [ATTR.probeKind]: kind, [ATTR.result]: resultLabel(r) };
}

/**
 * An EventSink that turns each `probe-result` event into a span, a histogram point and a counter
 * increment. Never throws: a broken exporter must not reach the scheduler (events.ts contract).
 *
 * @example
 * ```ts
 * const sink = createTracingSink({ describe: (name) => config.probes.find((p) => p.name === name) });
 * sink.emit({ type: "probe-result", probe: "upf-n4", kind: "pfcp", result });
 * ```
 */
export function createTracingSink(options: TracingSinkOptions): EventSink {
  const tracer: Tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE_NAME, options.version);
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE_NAME, options.version);
  const duration: Histogram = meter.createHistogram(METRIC.duration, {
    unit: "s",
    description: "Duration of a probe run: the protocol round trip when the probe measured it, else the whole run",
    advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_S] },
  });
  const runs: Counter = meter.createCounter(METRIC.runs, {
    unit: "{run}",
    description: "Probe runs by probe, kind and result (ok or the failure kind)",
  });

  function record(name: string, kind: string, r: ProbeResult) {
    const span = tracer.startSpan(`probe ${kind}`, { kind: SpanKind.CLIENT, startTime: r.startedAt });
    const endTime = r.startedAt + r.latencyMs;
    try {
      // A non-recording span (no SDK, or sampled out) gets nothing more: this is the no-op path.
      if (span.isRecording()) {
        span.setAttributes(spanAttributes(name, kind, r, options.describe(name), options.kinds?.[kind]?.defaultPort));
        for (const ev of r.events ?? []) {
          const attrs: Attributes = {};
          for (const [k, v] of Object.entries(ev.detail)) attrs[ATTR.eventPrefix + k] = v;
          span.addEvent(ev.type, attrs, endTime);
        }
        // Success leaves the status Unset (OTel trace API: instrumentation should not set Ok).
        if (!r.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: r.failure?.message ?? "probe failed" });
      }
    } finally {
      span.end(endTime);
    }
    const attrs = metricAttributes(name, kind, r);
    duration.record(r.latencyMs / 1000, attrs);
    runs.add(1, attrs);
  }

  return {
    emit(event: AgentEvent) {
      if (event.type !== "probe-result") return;
      try {
        record(event.probe, event.kind, event.result);
      } catch {
        // The API contract is that instrumentation never throws into the caller; an SDK bug
        // here must not stop probing either.
      }
    },
  };
}
