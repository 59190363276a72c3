/**
 * @module A `fetch` over one persistent HTTP/2 session (node:http2), for the telemetry uplink.
 *
 * `http://` origins use h2c with prior knowledge (RFC 9113 §3.3: no Upgrade, the client starts
 * with the connection preface), as inside a 5G core; `https://` origins negotiate h2 by ALPN.
 * The session is opened lazily and opened again after it closed, errored or got a GOAWAY.
 * Only what the uplink needs: one request body in memory, the whole response read as text.
 */
import * as http2 from "node:http2";
import { readFileSync } from "node:fs";
import type { FetchFn, TlsFetchOptions } from "./tls_fetch.ts";

export interface H2Fetch extends FetchFn {
  /** Close the session (pending requests fail). */
  close(): void;
}

/**
 * @param origin "http://host:port" (h2c) or "https://host:port" (h2 over TLS)
 * @throws {Error} "Cannot set up TLS client: …" when a PEM file cannot be read.
 */
export function h2Fetch(origin: string, tls?: TlsFetchOptions): H2Fetch {
  const read = (p: string | undefined) => {
    if (!p) return undefined;
    try {
      return readFileSync(p, "utf8");
    } catch (e) {
      throw new Error(`Cannot set up TLS client: cannot read ${p}`, { cause: e });
    }
  };
  const tlsOpts = { ca: read(tls?.ca), cert: read(tls?.cert), key: read(tls?.key) };
  let session: http2.ClientHttp2Session | undefined;
  const open = (): http2.ClientHttp2Session => {
    if (session && !session.closed && !session.destroyed) return session;
    const s = http2.connect(origin, origin.startsWith("https:") ? { ...tlsOpts, ALPNProtocols: ["h2"] } : {});
    // Errors surface on the requests; a dead session is replaced on the next request.
    s.on("error", () => {});
    s.on("goaway", () => s.close());
    s.on("close", () => {
      if (session === s) session = undefined;
    });
    session = s;
    return s;
  };

  const f = (input: string | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(input);
    const signal = init?.signal ?? undefined;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const headers: http2.OutgoingHttpHeaders = { ":method": init?.method ?? "GET", ":path": url.pathname + url.search };
    new Headers(init?.headers).forEach((v, k) => (headers[k] = v));
    const body = init?.body as Uint8Array | string | undefined;
    return new Promise<Response>((resolve, reject) => {
      let req: http2.ClientHttp2Stream;
      try {
        req = open().request(headers);
      } catch (e) {
        session = undefined;
        return reject(new Error(`Cannot send over HTTP/2 to ${origin}: ${(e as Error).message}`, { cause: e }));
      }
      const onAbort = () => {
        req.close(http2.constants.NGHTTP2_CANCEL);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      let status = 0;
      const resHeaders = new Headers();
      const chunks: Uint8Array[] = [];
      req.on("response", (h) => {
        status = Number(h[":status"]);
        for (const [k, v] of Object.entries(h)) if (!k.startsWith(":") && v !== undefined) resHeaders.set(k, String(v));
      });
      req.on("data", (c: Uint8Array) => chunks.push(c));
      req.on("end", () => {
        signal?.removeEventListener("abort", onAbort);
        const total = chunks.reduce((a, c) => a + c.length, 0);
        const buf = new Uint8Array(total);
        let off = 0;
        for (const c of chunks) {
          buf.set(c, off);
          off += c.length;
        }
        resolve(new Response(status === 204 || status === 304 ? null : buf, { status, headers: resHeaders }));
      });
      req.on("error", (e: Error) => {
        signal?.removeEventListener("abort", onAbort);
        reject(new Error(`Cannot send over HTTP/2 to ${origin}: ${e.message}`, { cause: e }));
      });
      req.end(body === undefined ? undefined : typeof body === "string" ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    });
  };
  return Object.assign(f, {
    close() {
      session?.close();
      session = undefined;
    },
  });
}
