/**
 * @module A `fetch` over the one HTTP/2 client (h2_client.ts), for callers that speak fetch: the
 * telemetry uplink's `transport: h2` (docs/telemetry.md). `http://` origins are h2c with prior
 * knowledge (RFC 9113 §3.3), `https://` h2 by ALPN; one session per origin, reopened after a
 * GOAWAY or a reset, a request that met a dead reused session sent once more (h2_client.ts).
 */
import { createH2Client } from "./h2_client.ts";
import { loadTls } from "./tls_options.ts";

/** PEM file paths (the uplink's `telemetry.tls`). */
export interface H2FetchTls {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

export interface H2Fetch {
  (input: string | URL, init?: RequestInit): Promise<Response>;
  /** Close the session (pending requests fail). */
  close(): void;
}

/** Collector answers are small JSON; this bounds what a misbehaving peer can make us hold. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * @param origin "http://host:port" (h2c) or "https://host:port" (h2 over TLS)
 * @throws {Error} "Cannot read TLS ca file …" (common/pem.ts) when a PEM file cannot be read.
 * @example
 * const f = h2Fetch("http://127.0.0.1:9401");
 * const res = await f("http://127.0.0.1:9401/api/v1/fleet", { signal: AbortSignal.timeout(2000) });
 * f.close();
 */
export function h2Fetch(origin: string, tls?: H2FetchTls): H2Fetch {
  const secure = new URL(origin).protocol === "https:";
  const client = createH2Client({ origin, tls: secure ? loadTls({ ...tls, verify: true }) : undefined, maxBodyBytes: MAX_RESPONSE_BYTES });
  const f = async (input: string | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(input);
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => (headers[k] = v));
    const body = init?.body as string | Uint8Array | null | undefined;
    // The length up front (RFC 9113 §8.1.1 allows it; the peer checks it against the DATA): a
    // collector admits an ingest body by its declared length, an undeclared one as its largest.
    if (body != null && !("content-length" in headers)) headers["content-length"] = String(typeof body === "string" ? new TextEncoder().encode(body).byteLength : body.byteLength);
    const r = await client.request(
      { method: init?.method ?? "GET", path: url.pathname + url.search, headers, body: body ?? undefined },
      init?.signal ?? new AbortController().signal,
    );
    // RFC 9110 §15.3.5, §15.4.5: 204 and 304 have no content (a Response refuses a body for them).
    return new Response(r.status === 204 || r.status === 304 ? null : r.body as Uint8Array<ArrayBuffer>, { status: r.status, headers: r.headers });
  };
  return Object.assign(f, { close: () => void client.close() });
}
