/** @module The one-port server's contract: HTTP/1.1, h2c (prior knowledge) and TLS on one listener. */

/** A response answered without the framework, from bytes encoded ahead of time (/healthz). */
export interface FastResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: Uint8Array;
  /** The whole HTTP/1.1 response, head and body, for keep-alive connections. */
  readonly h1: Uint8Array;
}

/** Looks a request up in the fast table; must not await anything. */
export type FastLookup = (method: string, path: string) => FastResponse | undefined;

export type Handler = (req: Request, info: RequestInfo) => Promise<Response> | Response;

export interface RequestInfo {
  readonly protocol: "http/1.1" | "h2c" | "h2" | "http/1.1+tls";
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Aborts when the request timeout passes or the client goes away. */
  readonly signal: AbortSignal;
}

export interface ServerLimits {
  /** To receive the whole request head, from its first byte (or from connect). */
  readonly headerTimeoutMs: number;
  /** To answer once the head is in. */
  readonly requestTimeoutMs: number;
  /** An open connection with no request in flight is closed after this. */
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
  readonly maxHeaderBytes: number;
  readonly maxBodyBytes: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  headerTimeoutMs: 2000,
  requestTimeoutMs: 1000,
  idleTimeoutMs: 30_000,
  maxConnections: 1024,
  maxHeaderBytes: 8192,
  maxBodyBytes: 1024 * 1024,
};

export interface ServerOptions {
  readonly hostname: string;
  readonly port: number;
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca?: string; readonly requestCert?: boolean };
  readonly limits?: Partial<ServerLimits>;
  readonly fast?: FastLookup;
  readonly handler: Handler;
  readonly log?: (level: "debug" | "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>) => void;
}

export interface ServerHandle {
  readonly hostname: string;
  readonly port: number;
  /** Open connections right now. */
  connections(): number;
  /** Stop accepting, let in-flight requests finish (bounded by the signal), then close everything. */
  close(signal?: AbortSignal): Promise<void>;
}
