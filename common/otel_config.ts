/**
 * @module The `otel:` config section of the agent and the collector (docs/opentelemetry.md).
 * Kept apart from otel_export.ts so validating a config never loads the OpenTelemetry SDK.
 */
import { z } from "zod";
import { duration } from "./duration.ts";

/** The `otel:` config section of the agent and of the collector. Unknown keys are errors. */
export const otelConfigSchema = z.strictObject({
  /**
   * OTLP/HTTP base URL of an OpenTelemetry Collector; `/v1/traces` and `/v1/metrics` are appended
   * (the OTLP exporter spec's rule for OTEL_EXPORTER_OTLP_ENDPOINT). @default http://127.0.0.1:4318
   */
  endpoint: z.url({ protocol: /^https?$/, error: "expected an http:// or https:// URL such as http://127.0.0.1:4318" })
    .default("http://127.0.0.1:4318"),
  /** Sent with every export, e.g. `authorization: Bearer ${OTEL_TOKEN}`. @default {} */
  headers: z.record(z.string(), z.string()).default({}),
  /** How often metrics are exported and the span batch is sent. @default 10s */
  interval: duration.default(10_000),
  /** Bound of one export request. @default 5s */
  timeout: duration.default(5000),
  /** `service.name`. @default edgeprobe-agent or edgeprobe-collector, by the caller */
  serviceName: z.string().min(1).optional(),
  /** `gzip` compresses each export body (Content-Encoding: gzip, OTLP spec "OTLP/HTTP"). @default none */
  compression: z.enum(["none", "gzip"]).default("none"),
  /** For an https:// endpoint: PEM file paths of a private CA and of a client certificate (mTLS). */
  tls: z.strictObject({
    /** Trust this CA (PEM) besides the runtime's default roots. */
    ca: z.string().min(1).optional(),
    /** Client certificate and key (PEM), for a Collector that requires mTLS. */
    cert: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
  }).optional(),
  /** Extra resource attributes (site, region, …). @default {} */
  attributes: z.record(z.string(), z.string()).default({}),
  /** Export spans. @default true */
  traces: z.boolean().default(true),
  /** Export metrics. @default true */
  metrics: z.boolean().default(true),
}).superRefine((c, ctx) => {
  if (c.tls && !c.endpoint.startsWith("https:")) ctx.addIssue({ code: "custom", path: ["tls"], message: "expected an https:// endpoint when tls is set", input: c.tls });
  if (c.tls && Boolean(c.tls.cert) !== Boolean(c.tls.key)) ctx.addIssue({ code: "custom", path: ["tls"], message: "expected cert and key together", input: c.tls });
  if (c.interval < 100) ctx.addIssue({ code: "custom", path: ["interval"], message: `expected at least 100ms, got ${c.interval}ms`, input: c.interval });
  if (c.timeout < 1) ctx.addIssue({ code: "custom", path: ["timeout"], message: `expected a positive duration, got ${c.timeout}ms`, input: c.timeout });
  // The SDK's periodic reader refuses an export timeout longer than its interval.
  if (c.timeout > c.interval) {
    ctx.addIssue({ code: "custom", path: ["timeout"], message: `expected at most the interval (${c.interval}ms), got ${c.timeout}ms`, input: c.timeout });
  }
});

export type OtelConfig = z.output<typeof otelConfigSchema>;
export type OtelConfigInput = z.input<typeof otelConfigSchema>;

