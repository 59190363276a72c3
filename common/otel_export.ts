/**
 * @module OTLP/HTTP export of the OpenTelemetry signals (docs/opentelemetry.md), shared by the agent
 * and the collector. `startOtel()` builds the SDK's tracer and meter providers with OTLP/HTTP JSON
 * exporters and registers them as the `@opentelemetry/api` globals, so everything instrumented
 * through the API (agent/tracing.ts) starts exporting. This is the only file importing the SDK.
 *
 * JSON rather than protobuf: the `-otlp-http` exporters encode JSON with no protobuf runtime,
 * which works the same under Bun and Deno, and an OpenTelemetry Collector's `otlp` receiver
 * accepts `application/json` on /v1/traces and /v1/metrics (OTLP spec, "OTLP/HTTP").
 *
 * Loading the SDK costs about 0.2-0.3 s and 20 MB, so callers import this module only when the
 * config has an `otel:` section (`await import(...)`); the schema lives in otel_config.ts.
 */
import { readPem } from "./pem.ts";
import { hostname } from "node:os";
import { type Attributes, diag, DiagLogLevel, metrics, trace } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { ATTR_SERVICE_INSTANCE_ID, ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import type { OtelConfig } from "./otel_config.ts";
import type { LogFn } from "./log.ts";
import { addAbortListener } from "./abortable.ts";

export interface StartOtelOptions {
  /** `service.name` unless the config sets one: "edgeprobe-agent" or "edgeprobe-collector". */
  readonly serviceName: string;
  /** `service.instance.id`: the agent id, or the collector's instance name. */
  readonly instanceId: string;
  readonly version?: string;
  /** Host labels (agent `labels:`), exported as `edgeprobe.label.<key>` resource attributes. */
  readonly labels?: Readonly<Record<string, string>>;
  /** More resource attributes from the caller (e.g. process.runtime.name). */
  readonly attributes?: Readonly<Record<string, string>>;
  /** @default os.hostname() */
  readonly hostname?: string;
  /** Export failures and SDK warnings go here. @default nothing is logged */
  readonly log?: LogFn;
  /** Reads the `tls` PEM files. @default readPem (common/pem.ts) */
  readonly readFile?: (path: string) => string;
  /** When it aborts, the SDK is flushed and shut down within the config's timeout. */
  readonly signal?: AbortSignal;
}

export interface OtelHandle {
  /** The resource every signal carries. */
  readonly resource: Readonly<Attributes>;
  /** Export what is buffered now; resolves early if the signal aborts. */
  flush(signal: AbortSignal): Promise<void>;
  /**
   * Export what is buffered, stop the exporters and unregister the API globals. Idempotent;
   * resolves by the time the signal aborts even if the endpoint does not answer.
   */
  shutdown(signal: AbortSignal): Promise<void>;
}

/** At most one export-problem log line per this many ms. */
export const PROBLEM_LOG_INTERVAL_MS = 60_000;

/**
 * One readable line from a diag call. The SDK's global error handler passes the error as a JSON
 * string of its properties (stack included); keep its message only.
 */
export function diagText(msg: string, args: readonly unknown[]): string {
  const parts = [msg, ...args].map((a) => {
    if (a instanceof Error) return a.message;
    if (typeof a === "string" && a.startsWith("{")) {
      try {
        const o = JSON.parse(a) as { message?: unknown };
        if (typeof o.message === "string") return o.message;
      } catch {
        // not JSON after all: keep the text
      }
    }
    return typeof a === "string" ? a : JSON.stringify(a);
  });
  return parts.filter((p) => p).join(": ").slice(0, 500);
}

/** The signal endpoint below a base URL: "http://h:4318" → "http://h:4318/v1/traces". */
export function signalUrl(endpoint: string, path: "v1/traces" | "v1/metrics"): string {
  return endpoint.replace(/\/+$/, "") + "/" + path;
}

/** The resource attributes: service identity, host, labels, the config's extras. */
export function otelResourceAttributes(config: OtelConfig, options: StartOtelOptions): Record<string, string> {
  const attrs: Record<string, string> = {
    [ATTR_SERVICE_NAME]: config.serviceName ?? options.serviceName,
    [ATTR_SERVICE_INSTANCE_ID]: options.instanceId,
    // host.name is still "development" in semantic conventions 1.45, so it is spelled out here.
    "host.name": options.hostname ?? hostname(),
  };
  if (options.version) attrs[ATTR_SERVICE_VERSION] = options.version;
  for (const [k, v] of Object.entries(options.labels ?? {})) attrs[`edgeprobe.label.${k}`] = v;
  Object.assign(attrs, options.attributes ?? {}, config.attributes);
  return attrs;
}

/** PEM contents for the https.Agent; a file that cannot be read stops the start, naming it. */
function tlsAgentOptions(tls: NonNullable<OtelConfig["tls"]>, readFile: (path: string) => string): { ca?: string; cert?: string; key?: string } {
  const read = (field: string, path: string | undefined) => {
    if (path === undefined) return undefined;
    try {
      return readFile(path);
    } catch (e) {
      throw new Error(`Cannot start OpenTelemetry export: otel.tls.${field} ${path} is not readable (${(e as Error).message})`, { cause: e });
    }
  };
  return { ca: read("ca", tls.ca), cert: read("cert", tls.cert), key: read("key", tls.key) };
}

/** Resolve when `p` settles or the signal aborts, whichever is first; never rejects. */
function bounded(p: Promise<unknown>, signal: AbortSignal, onError: (e: unknown) => void): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      offAbort();
      resolve();
    };
    const offAbort = addAbortListener(signal, done);
    p.then(done, (e) => {
      onError(e);
      done();
    });
  });
}

/**
 * Start exporting spans and metrics to an OTLP/HTTP endpoint and register the providers as the
 * `@opentelemetry/api` globals. Call it before creating instruments (agent/tracing.ts makes them
 * once): the metrics API has no proxy, so a meter taken before registration stays a no-op.
 *
 * @example
 * ```ts
 * const otel = startOtel(config.otel, { serviceName: "edgeprobe-collector", instanceId: "col-1" });
 * // … on stop:
 * await otel.shutdown(AbortSignal.timeout(5000));
 * ```
 */
export function startOtel(config: OtelConfig, options: StartOtelOptions): OtelHandle {
  const log = options.log ?? (() => {});
  // First: an unreadable PEM file throws before anything global is touched.
  const agentTls = config.tls ? tlsAgentOptions(config.tls, options.readFile ?? ((p) => readPem(p))) : undefined;
  const attrs = otelResourceAttributes(config, options);
  const resource = resourceFromAttributes(attrs);
  // SDK errors (a refused export, a 4xx from the endpoint) reach only `diag`; without a logger
  // they would vanish. An endpoint that is away fails every interval, for spans and metrics alike:
  // log the first problem, then at most one line a minute with the count of those in between.
  let lastProblemAt = -Infinity;
  let suppressed = 0;
  const problem = (msg: string, args: unknown[]) => {
    const now = Date.now();
    if (now - lastProblemAt < PROBLEM_LOG_INTERVAL_MS) {
      suppressed++;
      return;
    }
    log("warn", "Cannot export OpenTelemetry signals", { endpoint: config.endpoint, error: diagText(msg, args), suppressedSinceLast: suppressed });
    lastProblemAt = now;
    suppressed = 0;
  };
  diag.setLogger({
    error: (msg, ...args) => problem(msg, args),
    warn: (msg, ...args) => problem(msg, args),
    // The SDK's info/debug lines are per-export chatter.
    info: () => {},
    debug: () => {},
    verbose: () => {},
  }, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });

  type ExporterConfig = NonNullable<ConstructorParameters<typeof OTLPTraceExporter>[0]>;
  const common: ExporterConfig = {
    headers: { ...config.headers },
    timeoutMillis: config.timeout,
    // The SDK's CompressionAlgorithm enum has exactly these string values ("none", "gzip").
    compression: config.compression as ExporterConfig["compression"],
    // Handed to the https.Agent the node transport creates for an https:// endpoint.
    ...(agentTls ? { httpAgentOptions: agentTls } : {}),
  };
  let tracerProvider: TracerProvider | undefined;
  let meterProvider: MeterProvider | undefined;
  if (config.traces) {
    tracerProvider = new TracerProvider({
      resource,
      spanProcessors: [
        new BatchSpanProcessor({
          exporter: new OTLPTraceExporter({ url: signalUrl(config.endpoint, "v1/traces"), ...common }),
          scheduledDelayMillis: config.interval,
          exportTimeoutMillis: config.timeout,
          // Bounded: when the endpoint is away, spans beyond this are dropped, not kept.
          maxQueueSize: 2048,
        }),
      ],
    });
    if (!trace.setGlobalTracerProvider(tracerProvider)) log("warn", "Cannot register the OpenTelemetry tracer provider: one is already registered");
  }
  if (config.metrics) {
    meterProvider = new MeterProvider({
      resource,
      readers: [
        new PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter({ url: signalUrl(config.endpoint, "v1/metrics"), ...common }),
          exportIntervalMillis: config.interval,
          exportTimeoutMillis: config.timeout,
        }),
      ],
    });
    if (!metrics.setGlobalMeterProvider(meterProvider)) log("warn", "Cannot register the OpenTelemetry meter provider: one is already registered");
  }
  log("info", "OpenTelemetry export started", { endpoint: config.endpoint, traces: config.traces, metrics: config.metrics, intervalMs: config.interval });

  const onError = (what: string) => (e: unknown) => log("warn", `Cannot ${what} OpenTelemetry signals`, { error: String(e) });
  let stopped: Promise<void> | undefined;
  const handle: OtelHandle = {
    resource: attrs,
    flush(signal) {
      return bounded(Promise.all([tracerProvider?.forceFlush(), meterProvider?.forceFlush()]), signal, onError("flush"));
    },
    shutdown(signal) {
      stopped ??= (async () => {
        // Spans first: a span processor's export is independent of the metric reader's.
        await bounded(Promise.all([tracerProvider?.shutdown(), meterProvider?.shutdown()]), signal, onError("export the last"));
        // Unregister so a later startOtel (tests, a restart in-process) can register again.
        if (tracerProvider) trace.disable();
        if (meterProvider) metrics.disable();
        diag.disable();
      })();
      return stopped;
    },
  };
  addAbortListener(options.signal, () => void handle.shutdown(AbortSignal.timeout(config.timeout)));
  return handle;
}
