/**
 * @module HTTP/1.1 requests over node:http / node:https with one kept-alive connection.
 *
 * Not `fetch`: a probe needs a CA bundle, a client certificate, `verify: false` and a local
 * address, and fetch takes those only through runtime-specific APIs (Bun's `tls` init field,
 * `Deno.createHttpClient`), which may not appear outside runtime/. node:http(s) takes them on
 * both runtimes (checked on Bun 1.4.5 and Deno 2.9.6, docs/sbi-etcd.md).
 */
import http from "node:http";
import https from "node:https";
import type { LoadedTls } from "./tls_options.ts";
import { addAbortListener } from "../../common/abortable.ts";
import { concatBytes } from "../../common/bytes.ts";

export interface Http1ClientOptions {
  readonly tls?: LoadedTls;
  readonly localAddress?: string;
  /** Body bytes kept at most; the rest is read and dropped. @default 65536 */
  readonly maxBodyBytes?: number;
}

export interface Http1Request {
  readonly method: string;
  /** Absolute http:// or https:// URL. */
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
}

export interface Http1Response {
  readonly status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  readonly latencyMs: number;
}

export interface Http1Client {
  request(req: Http1Request, signal: AbortSignal): Promise<Http1Response>;
  close(): void;
}

/**
 * A client whose agents keep one connection per origin alive between probe runs.
 * @example
 * const c = createHttp1Client({});
 * const r = await c.request({ method: "GET", url: "http://127.0.0.1:2379/health" }, AbortSignal.timeout(1000));
 */
export function createHttp1Client(options: Http1ClientOptions): Http1Client {
  const maxBody = options.maxBodyBytes ?? 65536;
  const t = options.tls;
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const httpsAgent = new https.Agent({
    keepAlive: true,
    maxSockets: 4,
    ca: t?.ca,
    cert: t?.cert,
    key: t?.key,
    rejectUnauthorized: t?.rejectUnauthorized ?? true,
    minVersion: "TLSv1.2",
    ...(t?.servername ? { servername: t.servername } : {}),
  });
  const client: Http1Client = {
    async request(req, signal) {
      try {
        return await once(req, signal);
      } catch (e) {
        // A kept-alive socket the server closed between runs fails at first use (Node docs,
        // http.ClientRequest.reusedSocket): send once more on a fresh connection.
        if ((e as { reusedSocket?: boolean }).reusedSocket && (e as { code?: string }).code === "ECONNRESET" && !signal.aborted) {
          return await once(req, signal);
        }
        throw e;
      }
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
  return client;

  function once(req: Http1Request, signal: AbortSignal): Promise<Http1Response> {
    if (signal.aborted) return Promise.reject(signal.reason);
    const url = new URL(req.url);
    const secure = url.protocol === "https:";
    if (!secure && url.protocol !== "http:") {
      return Promise.reject(new TypeError(`Cannot send an HTTP/1.1 request to ${req.url}: scheme must be http or https`));
    }
    const mod = secure ? https : http;
    return new Promise<Http1Response>((resolve, reject) => {
      const t0 = performance.now();
      const body = typeof req.body === "string" ? new TextEncoder().encode(req.body) : req.body;
      const r = mod.request({
        method: req.method,
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[|\]$/g, ""),
        port: url.port || (secure ? 443 : 80),
        path: url.pathname + url.search,
        headers: { ...req.headers, ...(body ? { "content-length": String(body.byteLength) } : {}) },
        agent: secure ? httpsAgent : httpAgent,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
        ...(secure && t?.servername ? { servername: t.servername } : {}),
      }, (res) => {
        const chunks: Uint8Array[] = [];
        let kept = 0;
        res.on("data", (d: Uint8Array) => {
          if (kept < maxBody) {
            const part = d.subarray(0, maxBody - kept);
            chunks.push(part);
            kept += part.byteLength;
          }
        });
        res.on("end", () => {
          offAbort();
          const out = concatBytes(chunks, kept);
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) {
            if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : String(v);
          }
          resolve({ status: res.statusCode ?? 0, headers, body: out, latencyMs: performance.now() - t0 });
        });
        res.on("error", (e) => {
          offAbort();
          reject(e);
        });
      });
      const onAbort = () => {
        r.destroy();
        reject(signal.reason);
      };
      const offAbort = addAbortListener(signal, onAbort);
      r.on("error", (e) => {
        offAbort();
        reject(Object.assign(e, { reusedSocket: r.reusedSocket === true }));
      });
      if (body) r.end(body);
      else r.end();
    });
  }
}
