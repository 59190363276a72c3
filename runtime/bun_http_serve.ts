/**
 * @module The agent's port on Bun: `Bun.serve({ http2: true })`. One plaintext port answers
 * HTTP/1.1 and h2c with prior knowledge (RFC 9113 §3.3); with `tls`, h2 and http/1.1 by ALPN
 * (cleartext is then not served on that port). The `statics` are answered in native code, no
 * JavaScript per request, and replaced with `setStatics()` (`server.reload`); only GET and HEAD
 * reach them, other methods go to `fetch`. Limits that Bun applies natively, measured
 * (docs/health.md): a request head must be complete within uWebSockets' fixed 10 s (cut at
 * 10-12.5 s, its timer ticks every 4 s), idle connections are closed after `idleTimeoutSeconds`,
 * heads over 16 KiB get 431 (Bun's `--max-http-header-size`), bodies over `maxBodyBytes` 413.
 */
import { addAbortListener } from "../common/abortable.ts";

export interface StaticAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: Uint8Array;
}

export interface BunHttpOptions {
  readonly hostname: string;
  readonly port: number;
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca?: string };
  /** 1..255 s (Bun's range); uWebSockets' timer ticks every 4 s. */
  readonly idleTimeoutSeconds: number;
  /** Bodies longer than this are refused natively with 413 and an empty body. */
  readonly maxBodyBytes: number;
  /** Path → answer, for GET and HEAD. */
  readonly statics: Readonly<Record<string, StaticAnswer>>;
  readonly fetch: (req: Request, remoteAddress: string) => Response | Promise<Response>;
  /** Called when `fetch` throws past its own guards. */
  readonly onError?: (e: unknown) => Response;
}

export interface BunHttpServer {
  readonly hostname: string;
  readonly port: number;
  /** Requests in flight through `fetch` (Bun exposes no connection count). */
  pendingRequests(): number;
  setStatics(statics: Readonly<Record<string, StaticAnswer>>): void;
  /** Stop accepting, close idle connections, let requests in flight end; at `signal`, cut the rest. */
  close(signal: AbortSignal): Promise<void>;
}

interface BunServer {
  readonly hostname: string;
  readonly port: number;
  readonly pendingRequests: number;
  reload(o: unknown): void;
  stop(closeActive?: boolean): Promise<void>;
  requestIP(req: Request): { address: string } | null;
}
interface BunServeApi {
  serve(o: unknown): BunServer;
}

function routesOf(statics: Readonly<Record<string, StaticAnswer>>): Record<string, { GET: Response; HEAD: Response }> {
  const routes: Record<string, { GET: Response; HEAD: Response }> = {};
  for (const [path, a] of Object.entries(statics)) {
    const res = new Response(a.body as Uint8Array<ArrayBuffer>, { status: a.status, headers: { "content-type": a.contentType, "cache-control": "no-store" } });
    routes[path] = { GET: res, HEAD: res };
  }
  return routes;
}

export function startBunHttp(o: BunHttpOptions): BunHttpServer {
  const bun = (globalThis as unknown as { Bun?: BunServeApi }).Bun;
  if (!bun) throw new Error("Cannot start Bun.serve: not running on Bun");
  const handlers = {
    fetch: (req: Request, srv: BunServer) => o.fetch(req, srv.requestIP(req)?.address ?? ""),
    error: o.onError,
  };
  const server = bun.serve({
    hostname: o.hostname,
    port: o.port,
    http2: true,
    development: false,
    idleTimeout: Math.max(1, Math.min(255, Math.ceil(o.idleTimeoutSeconds))),
    maxRequestBodySize: o.maxBodyBytes,
    tls: o.tls && { cert: o.tls.cert, key: o.tls.key, ca: o.tls.ca },
    routes: routesOf(o.statics),
    ...handlers,
  });
  return {
    hostname: server.hostname,
    port: server.port,
    pendingRequests: () => server.pendingRequests,
    setStatics(statics) {
      server.reload({ routes: routesOf(statics), ...handlers });
    },
    async close(signal) {
      const cut = () => void server.stop(true);
      const offAbort = addAbortListener(signal, cut);
      try {
        await server.stop(false);
      } finally {
        offAbort();
      }
    },
  };
}
