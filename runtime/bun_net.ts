/**
 * @module Net for Bun: TCP and TLS through `Bun.connect` (native usockets and BoringSSL), UDP
 * through node:dgram as on every runtime (runtime/node_net.ts). Why: measured on Bun 1.4.5, a
 * loopback connect + close costs ~11 µs of user CPU through Bun.connect against 35-52 µs through
 * node:net (the kernel's ~45-50 µs of system time is the same for both), and a `tcp` probe is
 * mostly that; a TLS connect through node:tls costs ~420 µs of CPU (docs/benchmarks.md).
 * `Bun.connect` cannot bind a source address and takes ALPN in another shape, so a connection
 * with `localAddress` or `alpn` keeps node:net / node:tls. `terminate()` is an abortive close
 * (strace: setsockopt SO_LINGER {l_onoff=1, l_linger=0} before the close, so the peer gets a RST
 * and no TIME_WAIT stays here); `end()` would wait for the peer's FIN with no bound. So
 * `close: "graceful"` also keeps node:net, whose destroy() closes the descriptor after a FIN and
 * leaves the rest of the close to the kernel. TLS 1.2 is the floor, as in
 * node_net.ts (SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1; measured: a TLS 1.1-only server fails the
 * handshake with EPROTO).
 */
import { constants } from "node:crypto";
import { isIP } from "node:net";
import { openTcp, openUdp } from "./node_net.ts";
import type { Net, SocketAddress, TcpConn, TcpOptions, TlsClientOptions } from "./types.ts";
import { abortReason, addAbortListener } from "../common/abortable.ts";

interface BunSocket {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly alpnProtocol?: string | false | null;
  write(data: Uint8Array): number;
  end(): void;
  terminate(): void;
}
interface ConnState {
  onData?: (data: Uint8Array) => void;
  onClose?: (error?: Error) => void;
  /** TLS only: the handshake's outcome. */
  onHandshake?: (ok: boolean, error: Error | null) => void;
  error?: Error;
  closed: boolean;
  /** Bytes the kernel did not take yet (backpressure), flushed on `drain`. */
  out: Uint8Array[];
}
interface BunConnectApi {
  connect(o: { hostname: string; port: number; data: ConnState; tls?: Record<string, unknown>; socket: Record<string, unknown> }): Promise<BunSocket & { data: ConnState }>;
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
  handshake(s: BunSocket & { data: ConnState }, ok: boolean, error: Error | null) {
    s.data.onHandshake?.(ok, error);
  },
};

/**
 * An open connection. The addresses are read from the socket on first use and kept: each read is
 * a getsockname or getpeername system call, four per connection when read eagerly, and a `tcp`
 * probe needs only the local port (measured with strace at 1,000 probes a second). Methods live
 * on the prototype, not in closures made per connection.
 */
class BunConn implements TcpConn {
  #local?: SocketAddress;
  #remote?: SocketAddress;
  constructor(
    private readonly s: BunSocket & { data: ConnState },
    private readonly peer: TcpOptions,
    readonly alpn: string | undefined,
  ) {}
  get local(): SocketAddress {
    if (this.#local) return this.#local;
    // Bun reads the port and the address with a getsockname each; a `tcp` probe wants only the
    // port, so the address is an own getter read on first use (a spread or JSON still sees a
    // plain value): one system call fewer per probe (docs/benchmarks.md "sixth pass").
    const s = this.s;
    let address: string | undefined;
    return this.#local = {
      get address() {
        return address ??= s.localAddress ?? "";
      },
      port: s.localPort ?? 0,
    };
  }
  get remote(): SocketAddress {
    return this.#remote ??= { address: this.s.remoteAddress ?? this.peer.host, port: this.s.remotePort ?? this.peer.port };
  }
  write(data: Uint8Array) {
    const state = this.s.data;
    if (state.out.length) state.out.push(data.slice());
    else {
      const n = this.s.write(data);
      if (n < data.length) state.out.push(data.slice(Math.max(n, 0)));
    }
  }
  onData(h: (data: Uint8Array) => void) {
    this.s.data.onData = h;
  }
  onClose(h: (error?: Error) => void) {
    const state = this.s.data;
    if (state.closed) h(state.error);
    else state.onClose = h;
  }
  /** Abortive (RST) whatever `close` asked: `graceful` never gets here (openBunTcp). */
  close() {
    this.s.terminate();
  }
}

/**
 * Key exchange groups a probe offers: the classical ones. Bun's BoringSSL offers X25519MLKEM768
 * first by default and sends its 1,216-byte key share in every ClientHello; generating it costs
 * a quarter of a TLS probe's CPU (measured, Bun 1.4.5, 500 handshakes a second to a peer that
 * never answers: 321-358 µs of CPU a run by default, 241-255 µs with X25519 only,
 * docs/benchmarks.md "The probe path, third pass"). A probe carries no secret worth a
 * post-quantum exchange; P-256 and P-384 stay for peers without X25519 (answered with a
 * HelloRetryRequest, RFC 8446 §4.1.4; measured against `openssl s_server -groups P-256`).
 */
const PROBE_GROUPS = "X25519:P-256:P-384";

type BunTls = Record<string, unknown>;
// The options objects handed to Bun.connect, one per distinct set: Bun keeps what it derives from
// an options object (measured: the same object for every connect costs 50-60 µs of CPU less
// per TLS connect than an equal new one). Bounded: cleared past TLS_CACHE_MAX sets (a set per
// distinct server name and key material in the config, so a handful in practice).
const tlsCache = new Map<unknown, unknown>();
let tlsCached = 0;
const TLS_CACHE_MAX = 1024;

function tlsOptions(t: TlsClientOptions, serverName: string | undefined): BunTls {
  const verify = t.verify ?? true;
  // Nested by each part: strings by value, byte arrays by identity (a config's are reused).
  const parts: unknown[] = [verify, serverName, t.ca, t.cert, t.key];
  let m = tlsCache;
  for (let i = 0; i < parts.length - 1; i++) {
    let next = m.get(parts[i]) as Map<unknown, unknown> | undefined;
    if (!next) m.set(parts[i], next = new Map());
    m = next;
  }
  const last = parts[parts.length - 1];
  let o = m.get(last) as BunTls | undefined;
  if (o) return o;
  if (tlsCached >= TLS_CACHE_MAX) {
    tlsCache.clear();
    tlsCached = 0;
    return tlsOptions(t, serverName);
  }
  o = {
    rejectUnauthorized: verify,
    serverName,
    ca: t.ca,
    cert: t.cert,
    key: t.key,
    secureOptions: constants.SSL_OP_NO_TLSv1 | constants.SSL_OP_NO_TLSv1_1,
    ecdhCurve: PROBE_GROUPS,
  };
  m.set(last, o);
  tlsCached++;
  return o;
}

/**
 * Connects given up on (aborted) while `Bun.connect` had not settled. Bun gives no handle before
 * the connection opens, so such a socket keeps its descriptor until the kernel gives up on the SYN
 * (~127 s at the default tcp_syn_retries = 6): toward a peer that drops SYNs, 1,000 probes a second
 * held 5,525 sockets in SYN-SENT after 6 s, past the descriptor limit within half a minute, and
 * then every probe of the agent fails. node:net's `destroy()` frees the descriptor at once
 * (measured on Bun 1.4.5: 50 abandoned connects held 50 descriptors through Bun.connect, 0 through
 * node:net). So past ABANDONED_MAX of them, connects take node:net until they settle: the cheap path
 * stays for the healthy case, the cost is bounded for the blackholed one.
 */
const ABANDONED_MAX = 32;
let abandoned = 0;

/** Connects aborted before `Bun.connect` settled, still holding a descriptor (for the test). */
export const abandonedConnects = (): number => abandoned;

export function openBunTcp(options: TcpOptions, signal: AbortSignal): Promise<TcpConn> {
  const t = options.tls;
  if (options.localAddress || t?.alpn || options.close === "graceful" || abandoned >= ABANDONED_MAX) return openTcp(options, signal);
  if (signal.aborted) return Promise.reject(abortReason(signal));
  const bun = (globalThis as unknown as { Bun: BunConnectApi }).Bun;
  const tls = t && tlsOptions(t, t.servername ?? (isIP(options.host) ? undefined : options.host));
  return new Promise((resolve, reject) => {
    const state: ConnState = { closed: false, out: [] };
    let socket: BunSocket | undefined;
    let aborted = false;
    let settled = false;
    const onAbort = () => {
      aborted = true;
      if (socket) socket.terminate();
      else if (!settled) abandoned++;
      reject(abortReason(signal));
    };
    const offAbort = addAbortListener(signal, onAbort);
    const ready = (s: BunSocket & { data: ConnState }) => {
      offAbort();
      resolve(new BunConn(s, options, tls ? (s.alpnProtocol || undefined) : undefined));
    };
    bun.connect({ hostname: options.host, port: options.port, data: state, tls, socket: handlers }).then((s) => {
      settled = true;
      socket = s;
      if (aborted) {
        abandoned--;
        return s.terminate();
      }
      if (!tls) return ready(s);
      // The promise settles at TCP connect; a TLS connection is ready once the handshake is.
      state.onHandshake = (ok, error) => {
        state.onHandshake = undefined;
        if (aborted) return;
        if (ok) return ready(s);
        offAbort();
        s.terminate();
        reject(error ?? new Error("Cannot complete the TLS handshake"));
      };
    }, (e: Error & { code?: string }) => {
      settled = true;
      if (aborted) abandoned--;
      offAbort();
      // Bun's message is only "Failed to connect"; name the peer as node:net does ("connect
      // ECONNREFUSED 127.0.0.1:22"), so the probe's last error says which target refused. The code
      // stays reachable for classifyError() through the error and its cause.
      const err = new Error(`Cannot connect to ${options.host}:${options.port}: ${e.message}${e.code ? ` (${e.code})` : ""}`, { cause: e });
      if (e.code) (err as Error & { code?: string }).code = e.code;
      reject(err);
    });
  });
}

/** The Net for Bun (and so for the binary). */
export const bunNet: Net = { udp: openUdp, tcp: openBunTcp };
