/**
 * @module A TCP (or TLS) listener over node:net / node:tls, for lab reflectors
 * (`edgeprobe reflect sip|diameter`). Probes never listen; they use {@link Net}.
 */
import net from "node:net";
import tls from "node:tls";
import type { SocketAddress, TcpConn } from "./types.ts";

export interface TcpServerOptions {
  readonly host: string;
  readonly port: number;
  /** PEM certificate and key: accept TLS instead of plain TCP. */
  readonly tls?: { readonly cert: string; readonly key: string };
}

export interface TcpServer {
  readonly address: SocketAddress;
  /** Stop accepting and destroy every open connection. */
  close(): Promise<void>;
}

function wrap(sock: net.Socket): TcpConn {
  let closeError: Error | undefined;
  sock.on("error", (e) => {
    closeError = e;
  });
  return {
    local: { address: sock.localAddress ?? "", port: sock.localPort ?? 0 },
    remote: { address: sock.remoteAddress ?? "", port: sock.remotePort ?? 0 },
    write(data) {
      if (!sock.destroyed) sock.write(data);
    },
    onData(handler) {
      sock.on("data", (b: Buffer) => handler(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
    },
    onClose(handler) {
      sock.once("close", () => handler(closeError));
    },
    close() {
      // end() sends FIN after queued writes (an answer written just before must reach the peer).
      sock.end();
      setTimeout(() => sock.destroy(), 500).unref?.();
    },
  };
}

/** Listen and hand every accepted connection to `onConnection`. */
export function listenTcp(options: TcpServerOptions, onConnection: (conn: TcpConn) => void): Promise<TcpServer> {
  const sockets = new Set<net.Socket>();
  const accept = (sock: net.Socket) => {
    sockets.add(sock);
    sock.once("close", () => sockets.delete(sock));
    sock.setNoDelay(true);
    onConnection(wrap(sock));
  };
  const server = options.tls
    ? tls.createServer({ cert: options.tls.cert, key: options.tls.key, minVersion: "TLSv1.2" }, accept)
    : net.createServer(accept);
  return new Promise((resolve, reject) => {
    server.once("error", (e) => reject(new Error(`Cannot listen on ${options.host}:${options.port}: ${e.message}`, { cause: e })));
    server.listen({ host: options.host, port: options.port }, () => {
      const a = server.address() as net.AddressInfo;
      resolve({
        address: { address: a.address, port: a.port },
        close() {
          for (const s of sockets) s.destroy();
          return new Promise<void>((r) => server.close(() => r()));
        },
      });
    });
  });
}
