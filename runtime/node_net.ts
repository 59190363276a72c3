/**
 * @module Net over node:dgram, node:net and node:tls, which behave the same on Bun and Deno
 * (docs/protocols.md, runtime notes). A Bun-specific UDP path may replace `udp` later.
 */
import dgram from "node:dgram";
import net from "node:net";
import tls from "node:tls";
import { isIP } from "node:net";
import type { Net, SocketAddress, TcpConn, TcpOptions, UdpOptions, UdpSocket } from "./types.ts";
import { abortReason, addAbortListener } from "../common/abortable.ts";

function familyOf(options: UdpOptions): 4 | 6 {
  if (options.family) return options.family;
  const host = options.peer?.host ?? options.localAddress;
  return host && isIP(host) === 6 ? 6 : 4;
}

export async function openUdp(options: UdpOptions, signal: AbortSignal): Promise<UdpSocket> {
  if (signal.aborted) throw abortReason(signal);
  const sock = dgram.createSocket({ type: familyOf(options) === 6 ? "udp6" : "udp4" });
  const errorHandlers: Array<(e: Error) => void> = [];
  sock.on("error", (e) => {
    for (const h of errorHandlers) h(e);
  });
  await new Promise<void>((resolve, reject) => {
    const fail = (e: Error) => reject(new Error(`Cannot bind UDP socket: ${e.message}`, { cause: e }));
    sock.once("error", fail);
    sock.bind({ address: options.localAddress, port: options.localPort ?? 0 }, () => {
      sock.off("error", fail);
      resolve();
    });
  });
  if (options.peer) {
    const { host, port } = options.peer;
    await new Promise<void>((resolve, reject) => {
      const fail = (e: Error) => reject(new Error(`Cannot connect UDP socket to ${host}:${port}: ${e.message}`, { cause: e }));
      sock.once("error", fail);
      sock.connect(port, host, () => {
        sock.off("error", fail);
        resolve();
      });
    });
  }
  const addr = sock.address();
  return {
    local: { address: addr.address, port: addr.port },
    // Without a callback, node:dgram reports a send error as an 'error' event (Node docs,
    // socket.send), which reaches errorHandlers above; a callback per send cost ~1.7 µs per
    // exchange in bench/udp_probes.ts.
    send(data) {
      sock.send(data);
    },
    sendTo(data, to) {
      sock.send(data, to.port, to.address);
    },
    onMessage(handler) {
      sock.on("message", (msg, rinfo) => handler(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), { address: rinfo.address, port: rinfo.port }));
    },
    onError(handler) {
      errorHandlers.push(handler);
    },
    close() {
      try {
        sock.close();
      } catch {
        // already closed
      }
    },
  };
}

export function openTcp(options: TcpOptions, signal: AbortSignal): Promise<TcpConn> {
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise((resolve, reject) => {
    const t = options.tls;
    const sock: net.Socket = t
      ? tls.connect({
        host: options.host,
        port: options.port,
        // tls.connect hands its options to net.connect, which honours localAddress (Node docs, tls.connect).
        ...({ localAddress: options.localAddress } as object),
        servername: t.servername ?? (isIP(options.host) ? undefined : options.host),
        ca: t.ca as string | undefined,
        cert: t.cert as string | undefined,
        key: t.key as string | undefined,
        ALPNProtocols: t.alpn ? [...t.alpn] : undefined,
        rejectUnauthorized: t.verify ?? true,
        minVersion: "TLSv1.2",
      } as tls.ConnectionOptions)
      : net.connect({ host: options.host, port: options.port, localAddress: options.localAddress });
    sock.setNoDelay(true);
    const onAbort = () => {
      sock.destroy();
      reject(abortReason(signal));
    };
    const offAbort = addAbortListener(signal, onAbort);
    const onError = (e: Error) => {
      offAbort();
      reject(e);
    };
    sock.once("error", onError);
    sock.once(t ? "secureConnect" : "connect", () => {
      offAbort();
      sock.off("error", onError);
      let closeError: Error | undefined;
      sock.on("error", (e) => {
        closeError = e;
      });
      const local: SocketAddress = { address: sock.localAddress ?? "", port: sock.localPort ?? 0 };
      const remote: SocketAddress = { address: sock.remoteAddress ?? options.host, port: sock.remotePort ?? options.port };
      resolve({
        local,
        remote,
        alpn: t ? ((sock as tls.TLSSocket).alpnProtocol || undefined) : undefined,
        write(data) {
          sock.write(data);
        },
        onData(handler) {
          sock.on("data", (b: Buffer) => handler(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
        },
        onClose(handler) {
          sock.once("close", () => handler(closeError));
        },
        close() {
          // resetAndDestroy(): SO_LINGER 0 and close (Node docs, socket.resetAndDestroy; Deno 2
          // has it too: measured, no TIME_WAIT left on this side).
          if (options.close === "reset") sock.resetAndDestroy();
          else sock.destroy();
        },
      });
    });
  });
}

/** The default Net for both runtimes. */
export const nodeNet: Net = { udp: openUdp, tcp: openTcp };
