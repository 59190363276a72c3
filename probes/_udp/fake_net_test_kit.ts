/** @module Test kit: an in-memory Net whose UDP peer is a script, for the engine's unit tests. */
import type { Net, SocketAddress, UdpSocket } from "../../runtime/types.ts";

export interface FakePeerContext {
  /** Deliver a datagram to the probe's socket (from the connected peer by default). */
  reply(data: Uint8Array, from?: SocketAddress): void;
  /** Raise an asynchronous socket error (e.g. ECONNREFUSED). */
  error(e: Error): void;
}

export interface FakeNet extends Net {
  /** Every datagram the probe sent, in order. */
  readonly sent: Uint8Array[];
  opened: number;
  closed: number;
}

/** @param peer called for each datagram the probe sends. */
export function fakeNet(peer: (data: Uint8Array, ctx: FakePeerContext) => void): FakeNet {
  const sent: Uint8Array[] = [];
  const net: FakeNet = {
    sent,
    opened: 0,
    closed: 0,
    udp(options) {
      net.opened++;
      const from = { address: options.peer!.host, port: options.peer!.port };
      let onMsg: (d: Uint8Array, f: SocketAddress) => void = () => {};
      const onErr: Array<(e: Error) => void> = [];
      let isClosed = false;
      const ctx: FakePeerContext = {
        reply: (d, f = from) => queueMicrotask(() => !isClosed && onMsg(d, f)),
        error: (e) => queueMicrotask(() => onErr.forEach((h) => h(e))),
      };
      const sock: UdpSocket = {
        local: { address: "127.0.0.1", port: 40000 + net.opened },
        send(d) {
          sent.push(d.slice());
          peer(d, ctx);
        },
        sendTo() {
          throw new Error("not used");
        },
        onMessage(h) {
          onMsg = h;
        },
        onError(h) {
          onErr.push(h);
        },
        close() {
          isClosed = true;
          net.closed++;
        },
      };
      return Promise.resolve(sock);
    },
    tcp() {
      return Promise.reject(new Error("no tcp in the fake net"));
    },
  };
  return net;
}
