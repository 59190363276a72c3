/**
 * @module Net for Bun: plain TCP through `Bun.connect` (native usockets), UDP and TLS through
 * node:dgram / node:tls as on every runtime (runtime/node_net.ts). Why: measured on Bun 1.4.5, a
 * loopback connect + close costs ~11 µs of user CPU through Bun.connect against 35-52 µs through
 * node:net (the kernel's ~45-50 µs of system time is the same for both), and a `tcp` probe is
 * mostly that (docs/benchmarks.md, CPU per TCP probe). `Bun.connect` cannot bind a source
 * address, so a probe with `sourceAddress` keeps node:net.
 */
import { openTcp, openUdp } from "./node_net.ts";
import type { Net, SocketAddress, TcpConn, TcpOptions } from "./types.ts";

interface BunSocket {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  write(data: Uint8Array): number;
  end(): void;
  terminate(): void;
}
interface ConnState {
  onData?: (data: Uint8Array) => void;
  onClose?: (error?: Error) => void;
  error?: Error;
  closed: boolean;
  /** Bytes the kernel did not take yet (backpressure), flushed on `drain`. */
  out: Uint8Array[];
}
interface BunConnectApi {
  connect(o: { hostname: string; port: number; data: ConnState; socket: Record<string, unknown> }): Promise<BunSocket & { data: ConnState }>;
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException("aborted", "AbortError");
}

function flush(s: BunSocket & { data: ConnState }): void {
  const q = s.data.out;
  while (q.length) {
    const n = s.write(q[0]);
    if (n < q[0].length) {
      q[0] = q[0].subarray(Math.max(n, 0));
      return;
    }
    q.shift();
  }
}

const handlers = {
  data(s: BunSocket & { data: ConnState }, d: Uint8Array) {
    // Bun may reuse the buffer once the callback returns; probes keep what they need by copying.
    s.data.onData?.(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  },
  drain: flush,
  error(s: BunSocket & { data: ConnState }, e: Error) {
    s.data.error = e;
  },
  close(s: BunSocket & { data: ConnState }, e?: Error) {
    s.data.closed = true;
    s.data.onClose?.(e ?? s.data.error);
  },
  connectError() {},
};

export function openBunTcp(options: TcpOptions, signal: AbortSignal): Promise<TcpConn> {
  if (options.tls || options.localAddress) return openTcp(options, signal);
  if (signal.aborted) return Promise.reject(abortError(signal));
  const bun = (globalThis as unknown as { Bun: BunConnectApi }).Bun;
  return new Promise((resolve, reject) => {
    const state: ConnState = { closed: false, out: [] };
    let socket: BunSocket | undefined;
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      socket?.terminate();
      reject(abortError(signal));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    bun.connect({ hostname: options.host, port: options.port, data: state, socket: handlers }).then((s) => {
      signal.removeEventListener("abort", onAbort);
      socket = s;
      if (aborted) return s.terminate();
      const local: SocketAddress = { address: s.localAddress ?? "", port: s.localPort ?? 0 };
      const remote: SocketAddress = { address: s.remoteAddress ?? options.host, port: s.remotePort ?? options.port };
      resolve({
        local,
        remote,
        write(data) {
          if (state.out.length) state.out.push(data.slice());
          else {
            const n = s.write(data);
            if (n < data.length) state.out.push(data.slice(Math.max(n, 0)));
          }
        },
        onData(h) {
          state.onData = h;
        },
        onClose(h) {
          if (state.closed) h(state.error);
          else state.onClose = h;
        },
        close() {
          s.terminate();
        },
      });
    }, (e: Error) => {
      signal.removeEventListener("abort", onAbort);
      reject(e);
    });
  });
}

/** The Net for Bun (and so for the binary). */
export const bunNet: Net = { udp: openUdp, tcp: openBunTcp };
