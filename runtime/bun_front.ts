/**
 * @module EXPERIMENT, not wired into the agent: a `Bun.listen` front for the agent's one port.
 * HTTP/1.1 GET requests that the fast table knows (/healthz, /readyz) are answered here from
 * pre-encoded bytes; the first request it does not know, an h2c preface or a TLS ClientHello
 * turns the connection into a byte pipe to the node:net server (server/serve.ts) listening on
 * a loopback backend port, which then owns it to the end (HTTP/1.1 answers in order, RFC 9112
 * §9.3.2, so handing over between two requests is safe).
 *
 * Why: on Bun, node:net is a JS layer over the same sockets; Bun.listen hands us the bytes with
 * less work per request. bench/healthz_front.ts measures both fronts (docs/benchmarks.md).
 * Costs if wired in: one extra loopback hop for everything but the fast paths, and the backend
 * sees 127.0.0.1 as the client address.
 */
import { headerValue, HttpParseError, parseRequestHead } from "../server/http1_head.ts";
import type { FastLookup } from "../server/types.ts";

export interface BunFrontOptions {
  readonly hostname: string;
  readonly port: number;
  readonly fast: FastLookup;
  /** The node:net server that answers everything else. */
  readonly backend: { readonly hostname: string; readonly port: number };
  readonly headerTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxHeaderBytes: number;
  readonly maxConnections: number;
}

export interface BunFrontHandle {
  readonly port: number;
  connections(): number;
  close(): void;
}

// Minimal shapes of the Bun socket API we use (runtime/ is the only place that touches Bun.*).
interface BunSocket<T> {
  data: T;
  write(data: Uint8Array): number;
  end(data?: Uint8Array): void;
  terminate(): void;
  timeout(seconds: number): void;
  setNoDelay?(on: boolean): void;
}
interface SocketHandlers<T> {
  open?(s: BunSocket<T>): void;
  data?(s: BunSocket<T>, d: Uint8Array): void;
  drain?(s: BunSocket<T>): void;
  close?(s: BunSocket<T>): void;
  error?(s: BunSocket<T>, e: Error): void;
  timeout?(s: BunSocket<T>): void;
  connectError?(s: BunSocket<T>, e: Error): void;
}
interface BunApi {
  listen<T>(o: { hostname: string; port: number; socket: SocketHandlers<T> }): { port: number; stop(closeActive?: boolean): void };
  connect<T>(o: { hostname: string; port: number; data?: T; socket: SocketHandlers<T> }): Promise<BunSocket<T>>;
}

interface Conn {
  buf: Uint8Array;
  /** Bytes the client socket did not take yet (backpressure). */
  out: Uint8Array[];
  mode: "h1" | "pipe";
  backend?: BunSocket<BackendData>;
  /** Bytes for the backend until it is connected / while it is backed up. */
  toBackend: Uint8Array[];
  headTimer?: ReturnType<typeof setTimeout>;
}
interface BackendData {
  client: BunSocket<Conn>;
  out: Uint8Array[];
}

const PREFACE_START = [0x50, 0x52, 0x49, 0x20]; // "PRI "

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Write everything, queueing what the kernel does not take now; `drain` flushes the queue. */
function send<T>(s: BunSocket<T>, queue: Uint8Array[], data: Uint8Array): void {
  // Copies: Bun may reuse the buffer a `data` callback got once the callback returns.
  if (queue.length) {
    queue.push(data.slice());
    return;
  }
  const n = s.write(data);
  if (n < data.length) queue.push(data.slice(Math.max(n, 0)));
}

function flush<T>(s: BunSocket<T>, queue: Uint8Array[]): void {
  while (queue.length) {
    const d = queue[0];
    const n = s.write(d);
    if (n < d.length) {
      queue[0] = d.subarray(Math.max(n, 0));
      return;
    }
    queue.shift();
  }
}

function bunApi(): BunApi {
  const bun = (globalThis as { Bun?: BunApi }).Bun;
  if (!bun) throw new Error("Cannot start the Bun front: not running on Bun");
  return bun;
}

export function startBunFront(o: BunFrontOptions): BunFrontHandle {
  const bun = bunApi();
  let open = 0;

  function toPipe(s: BunSocket<Conn>) {
    const c = s.data;
    c.mode = "pipe";
    clearTimeout(c.headTimer);
    if (c.buf.length) c.toBackend.push(c.buf);
    c.buf = new Uint8Array(0);
    bun.connect<BackendData>({
      hostname: o.backend.hostname,
      port: o.backend.port,
      data: { client: s, out: [] },
      socket: {
        open(b) {
          c.backend = b;
          for (const d of c.toBackend.splice(0)) send(b, b.data.out, d);
        },
        data(b, d) {
          send(b.data.client, c.out, d);
        },
        drain(b) {
          flush(b, b.data.out);
        },
        close(b) {
          b.data.client.end();
        },
        error(b) {
          b.data.client.terminate();
        },
        connectError() {
          s.terminate();
        },
      },
    }).catch(() => s.terminate());
  }

  function onH1(s: BunSocket<Conn>) {
    const c = s.data;
    while (c.buf.length > 0) {
      if (c.buf[0] === 0x16 || PREFACE_START.every((b, i) => i >= c.buf.length || c.buf[i] === b)) return toPipe(s);
      let head;
      try {
        head = parseRequestHead(c.buf, o.maxHeaderBytes);
      } catch (e) {
        if (e instanceof HttpParseError) return toPipe(s); // the backend words the 4xx
        throw e;
      }
      if (!head) {
        c.headTimer ??= setTimeout(() => s.terminate(), o.headerTimeoutMs);
        return;
      }
      const f = head.method === "GET" && headerValue(head, "content-length") === undefined && headerValue(head, "transfer-encoding") === undefined
        ? o.fast("GET", head.target.split("?")[0])
        : undefined;
      if (!f) return toPipe(s);
      clearTimeout(c.headTimer);
      c.headTimer = undefined;
      c.buf = c.buf.subarray(head.length);
      const conn = (headerValue(head, "connection") ?? "").toLowerCase();
      const close = head.version === "1.0" ? !conn.includes("keep-alive") : conn.includes("close");
      if (close) {
        // The node front adds "connection: close" too; here the close itself says it (RFC 9112 §9.6).
        send(s, c.out, f.h1);
        s.end();
        return;
      }
      send(s, c.out, f.h1);
    }
  }

  const listener = bun.listen<Conn>({
    hostname: o.hostname,
    port: o.port,
    socket: {
      open(s) {
        s.data = { buf: new Uint8Array(0), out: [], mode: "h1", toBackend: [] };
        if (++open > o.maxConnections) {
          s.terminate();
          return;
        }
        s.setNoDelay?.(true);
        s.timeout(Math.ceil(o.idleTimeoutMs / 1000));
      },
      data(s, d) {
        const c = s.data;
        if (c.mode === "pipe") {
          if (c.backend) send(c.backend, c.backend.data.out, d);
          else c.toBackend.push(d.slice());
          return;
        }
        c.buf = c.buf.length ? concat(c.buf, d) : d.slice();
        onH1(s);
      },
      drain(s) {
        flush(s, s.data.out);
      },
      timeout(s) {
        if (s.data.mode === "h1") s.terminate();
      },
      close(s) {
        open--;
        clearTimeout(s.data?.headTimer);
        s.data?.backend?.end();
      },
      error() {},
    },
  });
  return {
    port: listener.port,
    connections: () => open,
    close: () => listener.stop(true),
  };
}
