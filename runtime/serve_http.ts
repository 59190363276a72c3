/**
 * @module A minimal HTTP/1.1 server adapter: `Bun.serve` on Bun, `Deno.serve` on Deno.
 *
 * The collector serves through this until the agent's one-port server (server/) can be reused;
 * switching is then a one-line change where `serveHttp` is called.
 */
import { detectRuntime } from "./detect.ts";

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
}

export interface HttpServer {
  readonly hostname: string;
  readonly port: number;
  /** Resolves once the server has stopped after `signal` aborted. */
  readonly finished: Promise<void>;
}

/** The peer of a request: what a trusted-proxy check or a per-source limit needs. */
export interface RequestInfo {
  readonly remoteAddress?: string;
}

export type HttpHandler = (req: Request, info?: RequestInfo) => Promise<Response>;

interface BunServer {
  port: number;
  hostname: string;
  stop(closeActive?: boolean): Promise<void> | void;
  // https://bun.sh/docs/api/http#server-requestip-request: null for closed requests and Unix sockets.
  requestIP(req: Request): { address: string } | null;
}

/**
 * Listen and serve `handler` until `signal` aborts.
 * @throws {Error} "Cannot listen on host:port: …" (address in use, permissions, mTLS on Deno).
 */
// deno-lint-ignore require-await -- async so that every failure (even a synchronous one) is a rejection
export async function serveHttp(handler: HttpHandler, options: ServeHttpOptions): Promise<HttpServer> {
  const where = `${options.hostname}:${options.port}`;
  const rt = detectRuntime();
  if (rt === "bun") {
    const Bun = (globalThis as unknown as { Bun: { serve(o: object): BunServer } }).Bun;
    let server: BunServer;
    try {
      server = Bun.serve({
        hostname: options.hostname,
        port: options.port,
        // Bun's default of 10 s would cut an SSE client that is waiting for the next change.
        idleTimeout: 0,
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
        fetch: (req: Request, srv: BunServer) => handler(req, { remoteAddress: srv.requestIP(req)?.address }),
        error: (e: Error) => new Response(JSON.stringify({ title: "Internal Server Error", status: 500, detail: e.message }), { status: 500, headers: { "content-type": "application/problem+json" } }),
      });
    } catch (e) {
      throw new Error(`Cannot listen on ${where}: ${(e as Error).message}`, { cause: e });
    }
    const finished = new Promise<void>((resolve) => {
      const stop = () => void Promise.resolve(server.stop(true)).then(() => resolve(), () => resolve());
      if (options.signal.aborted) stop();
      else options.signal.addEventListener("abort", stop, { once: true });
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
        ...(options.tls ? { cert: options.tls.cert, key: options.tls.key } : {}),
      }, (req, info) => handler(req, { remoteAddress: info.remoteAddr.hostname }));
    } catch (e) {
      throw new Error(`Cannot listen on ${where}: ${(e as Error).message}`, { cause: e });
    }
    return { hostname: server.addr.hostname, port: server.addr.port, finished: server.finished };
  }
  throw new Error(`Cannot listen on ${where}: serveHttp needs Bun or Deno, not ${rt}`);
}
