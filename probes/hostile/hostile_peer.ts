/**
 * @module `edgeprobe reflect KIND --hostile MODE`: a peer that lies, for tests and labs
 * (docs/health.md "Faults"). Modes:
 * - `garbage`: 64 random octets for every request
 * - `half`: the first half of a well-formed answer, then silence (TCP: the connection stays open)
 * - `huge`: a header declaring the largest length the format holds (4 GiB, 16 MiB, 64 KiB), then silence
 * - `wrong-seq`: a well-formed answer with the wrong correlation (sequence, hop-by-hop, CSeq, DNS id, h2 stream)
 * - `silent`: accept (TCP) or read (UDP) and never answer
 * A probe must turn each into `malformed` or `timeout` within its own timeout and bounded memory.
 */
import { listenTcp } from "../../runtime/node_tcp_server.ts";
import type { TcpConn } from "../../runtime/types.ts";
import { parseHostPort } from "../_wire/host_port.ts";
import type { ReflectorEnv, ReflectorHandle } from "../types.ts";
import { type HostileShape, hostileShapes } from "./shapes.ts";

export const HOSTILE_MODES = ["garbage", "half", "huge", "wrong-seq", "silent"] as const;
export type HostileMode = typeof HOSTILE_MODES[number];

/** What a hostile peer keeps of one connection's unanswered bytes at most; more is discarded with the connection. */
export const HOSTILE_MAX_BUFFER = 64 * 1024;

export interface HostileOptions {
  readonly kind: string;
  readonly mode: HostileMode;
  readonly listen?: string;
}

export interface HostileHandle extends ReflectorHandle {
  /** Requests seen (datagrams, or whole requests on streams). */
  readonly requests: number;
}

/** The bytes `mode` sends for one request, or undefined to stay silent. */
export function hostileReply(shape: HostileShape, mode: HostileMode, req: Uint8Array, random: () => number = Math.random): Uint8Array | undefined {
  if (mode === "silent") return undefined;
  if (mode === "garbage") {
    // A random header must never read as a valid message (one CI run's garbage was a well-formed
    // GTPv2 Version Not Supported, version 0 and type 3, TS 29.274 §5.1). The first octet all
    // ones: version 7 in GTP and PFCP, no TLS content type, no HTTP token, no Diameter version.
    // The second octet zero: message type 0 is reserved in GTPv1 (TS 29.060 Table 1), GTPv2
    // (TS 29.274 Table 6.1-1) and PFCP (TS 29.244 Table 7.3-1); a random type 3 with version 7
    // read as a future version's Version Not Supported, `rejected` (stop 23's CI, about 1 in 256
    // GTP-C answers).
    const b = Uint8Array.from({ length: 64 }, () => Math.floor(random() * 256));
    b[0] = 0xff;
    b[1] = 0;
    return b;
  }
  const ans = shape.answer(req);
  if (mode === "half") return ans.subarray(0, Math.max(1, Math.floor(ans.length / 2)));
  if (mode === "huge") return shape.huge(ans);
  return shape.wrongSeq(ans);
}

export function hostileKinds(): string[] {
  return Object.keys(hostileShapes);
}

/** @throws {TypeError} for an unknown kind or mode. */
export async function startHostilePeer(options: HostileOptions, env: ReflectorEnv): Promise<HostileHandle> {
  const shape = hostileShapes[options.kind];
  if (!shape) throw new TypeError(`Cannot start a hostile ${options.kind} peer: no hostile mode for this kind (known: ${hostileKinds().join(", ")})`);
  if (!HOSTILE_MODES.includes(options.mode)) throw new TypeError(`Cannot start a hostile peer: --hostile ${JSON.stringify(options.mode)} (known: ${HOSTILE_MODES.join(", ")})`);
  const { host, port } = parseHostPort(options.listen ?? `127.0.0.1:${shape.defaultPort}`, shape.defaultPort, true);
  let requests = 0;
  const reply = (req: Uint8Array): Uint8Array | undefined => {
    requests++;
    try {
      return hostileReply(shape, options.mode, req);
    } catch (e) {
      env.log("debug", "hostile peer: cannot build an answer; sending garbage", { error: (e as Error).message });
      return hostileReply(shape, "garbage", req);
    }
  };

  if (shape.transport === "udp") {
    const sock = await env.net.udp({ localAddress: host, localPort: port }, AbortSignal.timeout(5000));
    sock.onError(() => {});
    sock.onMessage((data, from) => {
      const r = reply(data);
      if (r) sock.sendTo(r, from);
    });
    return {
      address: sock.local,
      get requests() {
        return requests;
      },
      restart() {},
      close: () => Promise.resolve(sock.close()),
    };
  }

  const conns = new Set<TcpConn>();
  const server = await listenTcp({ host, port }, (conn) => {
    conns.add(conn);
    conn.onClose(() => conns.delete(conn));
    let buf: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
    conn.onData((chunk) => {
      if (options.mode === "silent") return; // read and drop: the client's writes never block
      const next = new Uint8Array(buf.length + chunk.length);
      next.set(buf);
      next.set(chunk, buf.length);
      buf = next;
      for (;;) {
        const n = shape.requestLength?.(buf);
        if (n === undefined || n > buf.length) break;
        const r = reply(buf.subarray(0, n));
        buf = buf.slice(n);
        if (r) conn.write(r);
      }
      if (buf.length > HOSTILE_MAX_BUFFER) conn.close();
    });
  });
  return {
    address: server.address,
    get requests() {
      return requests;
    },
    restart() {},
    async close() {
      for (const c of conns) c.close();
      await server.close();
    },
  };
}
