/**
 * @module A local OTLP/HTTP receiver for tests: what an OpenTelemetry Collector's `otlp` receiver
 * does on /v1/traces and /v1/metrics, minus the pipeline. It decodes the JSON encoding (OTLP spec,
 * "JSON Protobuf Encoding": lowerCamelCase fields, 64-bit integers as strings, ids as hex) and
 * keeps protobuf bodies undecoded. Used by common/otel_export_test.ts and tests/otel/.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import { gunzipSync } from "node:zlib";

export type AttrValue = string | number | boolean | null | AttrValue[];

/** One received request. `json` is undefined for a protobuf body. */
export interface OtlpRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly contentType: string;
  readonly json?: unknown;
  readonly bytes: number;
}

export interface ReceivedSpan {
  readonly resource: Record<string, AttrValue>;
  readonly scope: string;
  readonly name: string;
  readonly kind: number;
  readonly traceId: string;
  readonly spanId: string;
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  readonly attributes: Record<string, AttrValue>;
  readonly status: { code: number; message?: string };
  readonly events: { name: string; attributes: Record<string, AttrValue> }[];
}

export interface ReceivedPoint {
  readonly resource: Record<string, AttrValue>;
  readonly metric: string;
  readonly unit: string;
  readonly type: "sum" | "histogram" | "gauge" | "other";
  readonly attributes: Record<string, AttrValue>;
  /** Sum and gauge points. */
  readonly value?: number;
  /** Histogram points. */
  readonly count?: number;
  readonly sum?: number;
  readonly bucketCounts?: number[];
  readonly explicitBounds?: number[];
  readonly isMonotonic?: boolean;
}

export interface OtlpReceiver {
  readonly url: string;
  readonly requests: OtlpRequest[];
  spans(): ReceivedSpan[];
  /** Every data point of every metrics request, in arrival order. */
  points(): ReceivedPoint[];
  /** Resolve when `check()` is true, polling every 25 ms; reject after `ms`. */
  waitFor(check: () => boolean, ms: number, what: string): Promise<void>;
  close(): Promise<void>;
}

// deno-lint-ignore no-explicit-any
type Json = any;

function anyValue(v: Json): AttrValue {
  if (!v || typeof v !== "object") return null;
  if ("stringValue" in v) return v.stringValue;
  if ("boolValue" in v) return v.boolValue;
  if ("intValue" in v) return Number(v.intValue);
  if ("doubleValue" in v) return Number(v.doubleValue);
  if ("arrayValue" in v) return (v.arrayValue.values ?? []).map(anyValue);
  return null;
}

export function attributesOf(list: Json): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const kv of list ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

export interface OtlpReceiverOptions {
  /** HTTP status per path. @default 200 */
  status?: (path: string) => number;
  /** Serve HTTPS with this PEM pair; `requestCert` asks for (and requires) a client certificate signed by `ca`. */
  tls?: { cert: string; key: string; ca?: string; requestCert?: boolean };
}

/** Start a receiver on 127.0.0.1:`port`; every request is answered 200 `{}` unless `status` says otherwise. */
export function startOtlpReceiver(port: number, options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const requests: OtlpRequest[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let body: Buffer = Buffer.concat(chunks);
      if (req.headers["content-encoding"] === "gzip") body = gunzipSync(body);
      const contentType = String(req.headers["content-type"] ?? "");
      let json: unknown;
      if (contentType.startsWith("application/json")) {
        try {
          json = JSON.parse(body.toString("utf8"));
        } catch {
          res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ code: 3, message: "Cannot parse JSON body" }));
          return;
        }
      }
      const path = (req.url ?? "").split("?")[0];
      requests.push({ path, headers: req.headers, contentType, json, bytes: body.length });
      const known = req.method === "POST" && (path === "/v1/traces" || path === "/v1/metrics");
      const status = known ? options.status?.(path) ?? 200 : 404;
      // OTLP/HTTP: a successful answer carries an Export*ServiceResponse; {} is the empty one.
      res.writeHead(status, { "content-type": contentType.startsWith("application/x-protobuf") ? "application/x-protobuf" : "application/json" })
        .end(contentType.startsWith("application/x-protobuf") ? "" : "{}");
    });
  };
  const server: Server = options.tls
    ? createTlsServer({ cert: options.tls.cert, key: options.tls.key, ca: options.tls.ca, requestCert: options.tls.requestCert, rejectUnauthorized: options.tls.requestCert ?? false }, handler) as unknown as Server
    : createServer(handler);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      resolve({
        url: `${options.tls ? "https" : "http"}://127.0.0.1:${port}`,
        requests,
        spans() {
          const out: ReceivedSpan[] = [];
          for (const r of requests) {
            if (r.path !== "/v1/traces" || !r.json) continue;
            for (const rs of (r.json as Json).resourceSpans ?? []) {
              const resource = attributesOf(rs.resource?.attributes);
              for (const ss of rs.scopeSpans ?? []) {
                for (const s of ss.spans ?? []) {
                  out.push({
                    resource,
                    scope: ss.scope?.name ?? "",
                    name: s.name,
                    kind: s.kind,
                    traceId: s.traceId,
                    spanId: s.spanId,
                    startTimeUnixNano: BigInt(s.startTimeUnixNano),
                    endTimeUnixNano: BigInt(s.endTimeUnixNano),
                    attributes: attributesOf(s.attributes),
                    status: { code: s.status?.code ?? 0, message: s.status?.message },
                    events: (s.events ?? []).map((e: Json) => ({ name: e.name, attributes: attributesOf(e.attributes) })),
                  });
                }
              }
            }
          }
          return out;
        },
        points() {
          const out: ReceivedPoint[] = [];
          for (const r of requests) {
            if (r.path !== "/v1/metrics" || !r.json) continue;
            for (const rm of (r.json as Json).resourceMetrics ?? []) {
              const resource = attributesOf(rm.resource?.attributes);
              for (const sm of rm.scopeMetrics ?? []) {
                for (const m of sm.metrics ?? []) {
                  const base = { resource, metric: m.name as string, unit: (m.unit ?? "") as string };
                  if (m.histogram) {
                    for (const p of m.histogram.dataPoints ?? []) {
                      out.push({
                        ...base,
                        type: "histogram",
                        attributes: attributesOf(p.attributes),
                        count: Number(p.count),
                        sum: Number(p.sum),
                        bucketCounts: (p.bucketCounts ?? []).map(Number),
                        explicitBounds: (p.explicitBounds ?? []).map(Number),
                      });
                    }
                  } else if (m.sum || m.gauge) {
                    const d = m.sum ?? m.gauge;
                    for (const p of d.dataPoints ?? []) {
                      out.push({
                        ...base,
                        type: m.sum ? "sum" : "gauge",
                        attributes: attributesOf(p.attributes),
                        value: Number(p.asInt ?? p.asDouble),
                        isMonotonic: m.sum?.isMonotonic,
                      });
                    }
                  } else {
                    out.push({ ...base, type: "other", attributes: {} });
                  }
                }
              }
            }
          }
          return out;
        },
        async waitFor(check, ms, what) {
          const deadline = performance.now() + ms;
          while (!check()) {
            if (performance.now() > deadline) throw new Error(`Cannot see ${what}: not received within ${ms}ms (${requests.length} requests so far)`);
            await new Promise((r) => setTimeout(r, 25));
          }
        },
        close: () =>
          new Promise<void>((res) => {
            server.closeAllConnections?.();
            server.close(() => res());
          }),
      });
    });
  });
}
