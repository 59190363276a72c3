/** @module The `http` probe kind: one request, judged by status set and optional body match. */
import {
  createH2Client,
  createHttp1Client,
  decodeProblemDetails,
  describeProblem,
  formatStatusRanges,
  isProblemJson,
  loadTls,
  statusMatches,
  wrapTlsError,
} from "../_http/mod.ts";
import type { ProbeKind } from "../types.ts";
import { httpOptions, type HttpProbeOptions } from "./options.ts";
import { roundMs } from "../../common/round_ms.ts";

/** "host:port" → "http://host:port/"; a URL stays as is. */
export function targetUrl(target: string): URL {
  const t = target.trim();
  const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(t) ? t : `http://${t}/`);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`Cannot probe ${target}: scheme must be http or https`);
  }
  return url;
}

export const http: ProbeKind<HttpProbeOptions> = {
  kind: "http",
  summary: "HTTP request (HTTP/1.1, h2c prior knowledge or h2 over TLS) to a URL; status set and body match",
  example: "edgeprobe probe http http://10.0.0.5:8080/healthz --expect-status 200 --body-match UP",
  defaultPort: 80,
  options: httpOptions,
  create(spec, _env) {
    const o = spec.options;
    const url = targetUrl(spec.target);
    if (o.protocol === "h2c" && url.protocol !== "http:") {
      throw new TypeError(`Cannot probe ${spec.target} with protocol h2c: h2c needs an http:// URL (use h2 for https://)`);
    }
    if (o.protocol === "h2" && url.protocol !== "https:") {
      throw new TypeError(`Cannot probe ${spec.target} with protocol h2: h2 needs an https:// URL (use h2c for http://)`);
    }
    const tls = loadTls(o.tls);
    const bodyRe = o.bodyMatch !== undefined ? new RegExp(o.bodyMatch) : undefined;
    const h2 = o.protocol === "http1.1"
      ? undefined
      : createH2Client({ origin: url.origin, tls, localAddress: spec.sourceAddress, maxBodyBytes: o.maxBodyBytes });
    const h1 = h2 ? undefined : createHttp1Client({ tls, localAddress: spec.sourceAddress, maxBodyBytes: o.maxBodyBytes });
    const path = url.pathname + url.search;
    return {
      async run(signal) {
        const res: { status: number; headers: Readonly<Record<string, string>>; body: Uint8Array; latencyMs: number; protocol?: string; connectMs?: number } = await (h2
          ? h2.request({ method: o.method, path, headers: { ...lower(o.headers) }, body: o.body }, signal)
          : h1!.request({ method: o.method, url: url.href, headers: o.headers, body: o.body }, signal)).catch((e) => {
            throw wrapTlsError(e, url.origin);
          });
        const facts: Record<string, string | number | boolean> = {
          status: res.status,
          protocol: res.protocol ?? "http/1.1",
          bodyBytes: res.body.byteLength,
        };
        if (res.connectMs !== undefined) facts.connectMs = roundMs(res.connectMs);
        if (h2) facts.sessions = h2.stats.sessionsOpened;
        if (!statusMatches(o.expectStatus, res.status)) {
          let why = "";
          let reason = `HTTP ${res.status}`;
          if (isProblemJson(res.headers["content-type"])) {
            try {
              const p = decodeProblemDetails(res.body);
              why = `: ${describeProblem(p)}`;
              reason = p.cause ?? reason;
            } catch {
              // A broken problem body on a generic HTTP probe is still just a wrong status.
            }
          }
          return {
            ok: false,
            latencyMs: res.latencyMs,
            facts,
            failure: { kind: "rejected", message: `Cannot accept status ${res.status} from ${url.href} (expected ${formatStatusRanges(o.expectStatus)})${why}`, reason },
          };
        }
        if (bodyRe) {
          const text = new TextDecoder().decode(res.body);
          if (!bodyRe.test(text)) {
            return {
              ok: false,
              latencyMs: res.latencyMs,
              facts,
              failure: { kind: "rejected", message: `Cannot find /${o.bodyMatch}/ in the ${res.body.byteLength}-byte body from ${url.href}`, reason: "BODY_MISMATCH" },
            };
          }
        }
        return { ok: true, latencyMs: res.latencyMs, facts };
      },
      async close() {
        h1?.close();
        await h2?.close();
      },
    };
  },
};

/** HTTP/2 header names must be lower case (RFC 9113 §8.2.1). */
function lower(h: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}
