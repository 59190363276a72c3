/**
 * @module What the agent, probes and collector need from the platform.
 *
 * Only files in runtime/ may touch `Bun.*` or `Deno.*` (scripts/check_boundaries.ts enforces it).
 */

export interface SocketAddress {
  readonly address: string;
  readonly port: number;
}

/** A UDP socket. Connected when opened with `peer`, which makes ICMP port unreachable visible. */
export interface UdpSocket {
  readonly local: SocketAddress;
  /** Send to the connected peer. */
  send(data: Uint8Array): void;
  /** Send to any address (unconnected sockets, e.g. reflectors). */
  sendTo(data: Uint8Array, to: SocketAddress): void;
  onMessage(handler: (data: Uint8Array, from: SocketAddress) => void): void;
  /** Asynchronous socket errors, e.g. ECONNREFUSED after an ICMP port unreachable. */
  onError(handler: (error: Error) => void): void;
  close(): void;
}

export interface UdpOptions {
  /** Connect to this peer: send() goes there and ICMP errors are reported. */
  readonly peer?: { readonly host: string; readonly port: number };
  /** Local address to bind (`sourceAddress`), default any. */
  readonly localAddress?: string;
  readonly localPort?: number;
  /** 4 or 6; default from the peer or local address. */
  readonly family?: 4 | 6;
}

export interface TlsClientOptions {
  readonly servername?: string;
  readonly ca?: string | Uint8Array;
  readonly cert?: string | Uint8Array;
  readonly key?: string | Uint8Array;
  readonly alpn?: readonly string[];
  /** Default true. */
  readonly verify?: boolean;
}

/** A TCP (or TLS) byte stream. */
export interface TcpConn {
  readonly local: SocketAddress;
  readonly remote: SocketAddress;
  /** Negotiated ALPN protocol over TLS. */
  readonly alpn?: string;
  write(data: Uint8Array): void;
  onData(handler: (data: Uint8Array) => void): void;
  /** Called once when the connection ends, with the error if it failed. */
  onClose(handler: (error?: Error) => void): void;
  close(): void;
}

export interface TcpOptions {
  readonly host: string;
  readonly port: number;
  readonly localAddress?: string;
  readonly tls?: TlsClientOptions;
  /**
   * How `close()` ends the connection. `reset`: an abortive close (SO_LINGER 0, the peer gets a
   * RST), so this side keeps no TIME_WAIT socket and unsent bytes are dropped. `graceful`: a FIN
   * (the kernel finishes the close; this side, closing first, holds the 4-tuple in TIME_WAIT for
   * 60 s on Linux). Absent: the runtime's own close (`Bun.connect`'s terminate() is abortive,
   * node:net's destroy() graceful; measured with strace and `ss`, docs/config.md "TCP close").
   */
  readonly close?: "reset" | "graceful";
}

/** Sockets a probe may use, nothing more. */
export interface Net {
  udp(options: UdpOptions, signal: AbortSignal): Promise<UdpSocket>;
  tcp(options: TcpOptions, signal: AbortSignal): Promise<TcpConn>;
}

/** Timers, injectable so schedulers can be tested with a manual clock. */
export interface Clock {
  now(): number;
  /** High-resolution monotonic ms (performance.now()). */
  monotonic(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /**
   * Run `fn` in a later macrotask, after the event loop has polled for I/O (`setImmediate`), so
   * sockets ready meanwhile are served first. Absent (the manual clock): callers run `fn` at once.
   */
  turn?(fn: () => void): void;
}

export type RuntimeName = "bun" | "deno" | "node";
