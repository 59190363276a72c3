/**
 * @module Wrap a socket whose first bytes were already read in a plain Duplex.
 *
 * Handing the raw socket to the TLS server after `unshift()` fails on Bun and Deno: their TLS
 * layers read the file descriptor directly and never see the bytes we peeked (measured: handshake
 * hangs on Bun, crash on Deno). A JS Duplex makes the TLS server go through the stream API.
 */
import { Duplex } from "node:stream";
import type net from "node:net";

export function socketDuplex(sock: net.Socket, first: Uint8Array): Duplex {
  const d = new Duplex({
    read() {
      sock.resume();
    },
    write(chunk, _enc, cb) {
      sock.write(chunk, cb);
    },
    final(cb) {
      sock.end();
      cb();
    },
    destroy(err, cb) {
      sock.destroy();
      cb(err);
    },
  });
  d.push(Buffer.from(first.buffer, first.byteOffset, first.byteLength));
  sock.on("data", (c: Buffer) => {
    if (!d.push(c)) sock.pause();
  });
  sock.on("end", () => d.push(null));
  sock.on("close", () => d.destroy());
  // node:tls and the http2 compat layer read these for the peer's address.
  Object.assign(d, { remoteAddress: sock.remoteAddress, remotePort: sock.remotePort, remoteFamily: sock.remoteFamily, setNoDelay() {}, setKeepAlive() {}, setTimeout() {} });
  return d;
}
