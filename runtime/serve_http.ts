/**
 * @module The collector's server: `Bun.serve` on Bun, `Deno.serve` on Deno, one port for
 * HTTP/1.1 and HTTP/2.
 *
 * - Bun: `http2: true` (Bun 1.4.5). Without TLS a connection that opens with the HTTP/2 preface
 *   gets h2c (RFC 9113 §3.3 prior knowledge), everyone else HTTP/1.1; with TLS, ALPN offers h2 and
 *   http/1.1 (https://bun.com/reference/bun/Serve/HostnamePortServeOptions/http2).
 * - Deno: `Deno.serve` answers h2c with prior knowledge on its plaintext port already, and h2 by
 *   ALPN with TLS.
 *
 * Idle connections are closed after `idleTimeoutS`, except a response that asked to stay open
 * (`info.keepOpen()`, for server-sent events: Bun's `server.timeout(req, 0)`). Measured on Bun
 * 1.4.5 with `http2: true` and `idleTimeout: 3`: an idle h2 session is closed after 4 s; a TCP
 * connection that sends nothing, or half a request head, after 12 s (uWS's own header timeout,
 * not configurable). Bun.serve has no hook per connection, so connections are bounded by these
 * times; requests in flight are capped by the caller (collector/connection_limits.ts).
 */
import { detectRuntime } from "./detect.ts";
import { addAbortListener } from "../common/abortable.ts";

export interface ServeHttpOptions {
  readonly hostname: string;
  /** 0 = any free port (see `HttpServer.port`). */
  readonly port: number;
  /** Aborting stops the listener and closes connections. */
  readonly signal: AbortSignal;
  /** PEM contents. `ca` + `requestCert` ask for and verify client certificates (mTLS, Bun only). */
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca?: string; readonly requestCert?: boolean };
  /** Bun rejects larger bodies itself; the handler enforces its own limit as well. */
  readonly maxRequestBodySize?: number;
  /** Seconds a connection may sit without a request (Bun: 1-255). @default 30 */
  readonly idleTimeoutS?: number;
  /** The answer when the handler throws; it must not carry the exception's message. */
  readonly onError?: (e: Error) => Response;
}

export interface HttpServer {
  readonly hostname: string;
  readonly port: number;
  /** Resolves once the server has stopped after `signal` aborted. */
  readonly finished: Promise<void>;
}

/** The peer of a request and what the handler may ask of its connection. */
export interface RequestInfo {
  readonly remoteAddress?: string;
  /** Exempt this request's connection from the idle timeout (a long-lived stream). */
  readonly keepOpen?: () => void;
}

export type HttpHandler = (req: Request, info?: RequestInfo) => Promise<Response>;

interface BunServer {
  port: number;
  hostname: string;
  stop(closeActive?: boolean): Promise<void> | void;
  // https://bun.sh/docs/api/http#server-requestip-request: null for closed requests and Unix sockets.
  requestIP(req: Request): { address: string } | null;
  // https://bun.com/reference/bun/Server/timeout: 0 disables the idle timeout of this request.
  timeout(req: Request, seconds: number): void;
}

const genericError = () =>
  new Response(JSON.stringify({ type: "https://edgeprobe.dev/problems/internal", title: "Internal Server Error", status: 500, detail: "Cannot answer: internal error" }), {
    status: 500,
    headers: { "content-type": "application/problem+json" },
  });

/**
 * Listen and serve `handler` until `signal` aborts.
 * @throws {Error} "Cannot listen on host:port: …" (address in use, permissions, mTLS on Deno).
 */
// deno-lint-ignore require-await -- async so that every failure (even a synchronous one) is a rejection
export async function serveHttp(handler: HttpHandler, options: ServeHttpOptions): Promise<HttpServer> {
  const where = `${options.hostname}:${options.port}`;
  const onError = options.onError ?? genericError;
  const rt = detectRuntime();
  if (rt === "bun") {
    const Bun = (globalThis as unknown as { Bun: { serve(o: object): BunServer } }).Bun;
    let server: BunServer;
    try {
      server = Bun.serve({
        hostname: options.hostname,
        port: options.port,
        http2: true,
        idleTimeout: Math.min(255, Math.max(1, options.idleTimeoutS ?? 30)),
        ...(options.maxRequestBodySize ? { maxRequestBodySize: options.maxRequestBodySize } : {}),
        ...(options.tls
          ? {
            tls: {
              cert: options.tls.cert,
              key: options.tls.key,
              ...(options.tls.ca ? { ca: options.tls.ca } : {}),
              ...(options.tls.requestCert ? { requestCert: true, rejectUnauthorized: true } : {}),
            },
          }
          : {}),
        fetch: (req: Request, srv: BunServer) => handler(req, { remoteAddress: srv.requestIP(req)?.address, keepOpen: () => srv.timeout(req, 0) }),
        error: onError,
      });
    } catch (e) {
      throw new Error(`Cannot listen on ${where}: ${(e as Error).message}`, { cause: e });
    }
    const finished = new Promise<void>((resolve) => {
      const stop = () => void Promise.resolve(server.stop(true)).then(() => resolve(), () => resolve());
      addAbortListener(options.signal, stop);
    });
    return { hostname: server.hostname, port: server.port, finished };
  }
  if (rt === "deno") {
    if (options.tls?.requestCert) throw new Error(`Cannot listen on ${where}: Deno.serve cannot verify client certificates (mTLS needs Bun)`);
    type DenoHandler = (req: Request, info: { remoteAddr: { hostname: string } }) => Promise<Response>;
    const Deno = (globalThis as unknown as { Deno: { serve(o: object, h: DenoHandler): { finished: Promise<void>; addr: { hostname: string; port: number } } } }).Deno;
    let server: { finished: Promise<void>; addr: { hostname: string; port: number } };
    try {
      server = Deno.serve({
        hostname: options.hostname,
        port: options.port,
        signal: options.signal,
        onListen: () => {},
        onError,
        ...(options.tls ? { cert: options.tls.cert, key: options.tls.key } : {}),
      }, (req, info) => handler(req, { remoteAddress: info.remoteAddr.hostname }));
    } catch (e) {
      throw new Error(`Cannot listen on ${where}: ${(e as Error).message}`, { cause: e });
    }
    return { hostname: server.addr.hostname, port: server.addr.port, finished: server.finished };
  }
  throw new Error(`Cannot listen on ${where}: serveHttp needs Bun or Deno, not ${rt}`);
}
