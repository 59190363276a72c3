/**
 * @module `edgeprobe reflect sip`: answers OPTIONS over UDP and TCP on one port with 200 and the
 * capability headers of RFC 3261 §11.2, or with a chosen code (`--code 503 --retry-after 30`).
 */
import { parseHostPort } from "../_wire/host_port.ts";
import type { Reflector, ReflectorHandle } from "../types.ts";
import { listenTcp } from "../../runtime/node_tcp_server.ts";
import type { SocketAddress } from "../../runtime/types.ts";
import { SipFramer } from "./framer.ts";
import { decodeSipMessage, type SipRequest } from "./message.ts";
import { encodeResponse } from "./response.ts";

/** Capability headers a 200 to OPTIONS should carry (§11.2). */
const CAPABILITIES = [
  "Allow: OPTIONS",
  "Accept: application/sdp",
  "Accept-Encoding: identity",
  "Accept-Language: en",
  "Supported: ",
  "Server: edgeprobe-reflector",
];

function parseCode(v: string | undefined): number {
  if (v === undefined) return 200;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 200 || n > 699) throw new TypeError(`Cannot start SIP reflector: --code ${JSON.stringify(v)} is not a final status code 200-699`);
  return n;
}

/** The response bytes for one request, or undefined when none is due (ACK, §17.2.3 / §12). */
export function answer(req: SipRequest, source: SocketAddress, code: number, retryAfter?: number): Uint8Array | undefined {
  if (req.method === "ACK") return undefined;
  if (req.method !== "OPTIONS") {
    // §8.2.1: a method we do not support gets 405 listing the ones we do.
    return encodeResponse(req, { status: 405, source, extra: ["Allow: OPTIONS", "Server: edgeprobe-reflector"] });
  }
  if (code === 200) return encodeResponse(req, { status: 200, source, extra: CAPABILITIES });
  const extra = ["Server: edgeprobe-reflector"];
  if (retryAfter !== undefined && (code === 503 || code === 480 || code === 486)) extra.push(`Retry-After: ${retryAfter}`);
  return encodeResponse(req, { status: code, source, extra });
}

export const sipReflector: Reflector = {
  kind: "sip",
  summary: "answers SIP OPTIONS over UDP and TCP (--code N, --retry-after S)",
  defaultListen: "127.0.0.1:5060",
  async start(options, env): Promise<ReflectorHandle> {
    const { host, port } = parseHostPort(options.listen, 5060);
    const code = parseCode(options.extra.code);
    const retryAfter = options.extra.retryAfter !== undefined ? Number(options.extra.retryAfter) : undefined;
    const udp = await env.net.udp({ localAddress: host, localPort: port }, AbortSignal.timeout(5000));
    udp.onMessage((data, from) => {
      try {
        const msg = decodeSipMessage(data);
        if (msg.type !== "request") return;
        const out = answer(msg, from, code, retryAfter);
        if (out) udp.sendTo(out, from);
      } catch (e) {
        env.log("debug", "sip reflector: dropping a datagram it cannot decode", { error: (e as Error).message });
      }
    });
    udp.onError((e) => env.log("warn", "sip reflector: UDP error", { error: e.message }));
    let tcp;
    try {
      tcp = await listenTcp({ host, port: udp.local.port }, (conn) => {
        const framer = new SipFramer();
        conn.onData((chunk) => {
          try {
            for (const frame of framer.push(chunk)) {
              const msg = decodeSipMessage(frame);
              if (msg.type !== "request") continue;
              const out = answer(msg, conn.remote, code, retryAfter);
              if (out) conn.write(out);
            }
          } catch (e) {
            env.log("debug", "sip reflector: closing a TCP connection with bytes it cannot decode", { error: (e as Error).message });
            conn.close();
          }
        });
      });
    } catch (e) {
      udp.close();
      throw e;
    }
    const tcpServer = tcp;
    return {
      address: udp.local,
      restart() {
        // SIP has no recovery counter; nothing to move.
      },
      async close() {
        udp.close();
        await tcpServer.close();
      },
    };
  },
};
