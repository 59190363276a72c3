/**
 * @module `edgeprobe reflect diameter`: a base-protocol peer that answers CER, DWR and DPR
 * (RFC 6733 §5) with its Origin-State-Id from --recovery; restart() moves it on and drops
 * every connection, as a rebooted peer would.
 */
import { readPem } from "../../common/pem.ts";
import { parseHostPort } from "../_wire/host_port.ts";
import type { Reflector, ReflectorEnv, ReflectorHandle } from "../types.ts";
import { listenTcp } from "../../runtime/node_tcp_server.ts";
import type { TcpConn } from "../../runtime/types.ts";
import { buildCea, buildDpa, buildDwa, buildUnsupported, type PeerIdentity, requireOrigin } from "./base.ts";
import { CommandCode } from "./dictionary.ts";
import { DiameterFramer } from "./framer.ts";
import { decodeMessage, encodeMessage, isRequest } from "./message.ts";

export interface DiameterPeerState {
  identity(localAddress: string): PeerIdentity;
  /** Result-Code for CEAs (2001 unless testing a rejection). */
  readonly ceaResultCode: number;
}

/** Serve one connection: CER first (§5.3), then DWR/DPR; anything else gets 3001. */
export function serveDiameterConnection(conn: TcpConn, state: DiameterPeerState, log: ReflectorEnv["log"]): void {
  const framer = new DiameterFramer();
  let open = false;
  conn.onData((chunk) => {
    try {
      for (const frame of framer.push(chunk)) {
        const m = decodeMessage(frame);
        if (!isRequest(m)) continue;
        requireOrigin(m);
        const id = state.identity(conn.local.address);
        if (m.commandCode === CommandCode.CapabilitiesExchange) {
          const rc = state.ceaResultCode;
          conn.write(encodeMessage(buildCea(m, id, rc)));
          if (rc !== 2001) conn.close();
          else open = true;
        } else if (!open) {
          // §5.3: the first message on a connection must be a CER; anything else ends it.
          conn.close();
        } else if (m.commandCode === CommandCode.DeviceWatchdog) {
          conn.write(encodeMessage(buildDwa(m, id)));
        } else if (m.commandCode === CommandCode.DisconnectPeer) {
          log("info", "diameter reflector: DPR received", { from: conn.remote.address, port: conn.remote.port });
          conn.write(encodeMessage(buildDpa(m, id)));
          conn.close();
        } else {
          conn.write(encodeMessage(buildUnsupported(m, id)));
        }
      }
    } catch (e) {
      log("debug", "diameter reflector: closing a connection with bytes it cannot decode", { error: (e as Error).message });
      conn.close();
    }
  });
}

export const diameterReflector: Reflector = {
  kind: "diameter",
  summary: "answers Diameter CER/DWR/DPR (--origin-host, --origin-realm, --result-code N, --cert/--key for TLS)",
  defaultListen: "127.0.0.1:3868",
  async start(options, env): Promise<ReflectorHandle> {
    const { host, port } = parseHostPort(options.listen, 3868);
    const x = options.extra;
    let originStateId = options.recovery ?? (Math.floor(env.now() / 1000) >>> 0);
    const ceaResultCode = x.resultCode !== undefined ? Number(x.resultCode) : 2001;
    if (!Number.isInteger(ceaResultCode) || ceaResultCode < 1000 || ceaResultCode > 5999) {
      throw new TypeError(`Cannot start Diameter reflector: --result-code ${JSON.stringify(x.resultCode)} is not a Result-Code 1000-5999`);
    }
    const tls = x.cert && x.key ? { cert: readPem(x.cert, "TLS cert"), key: readPem(x.key, "TLS key") } : undefined;
    const conns = new Set<TcpConn>();
    const state: DiameterPeerState = {
      ceaResultCode,
      identity: (local) => ({
        originHost: x.originHost ?? "reflector.localdomain",
        originRealm: x.originRealm ?? "localdomain",
        hostIpAddresses: [local.replace(/^::ffff:/i, "") || "127.0.0.1"],
        vendorId: 0,
        productName: "edgeprobe-reflector",
        originStateId,
      }),
    };
    const server = await listenTcp({ host, port, tls }, (conn) => {
      conns.add(conn);
      conn.onClose(() => conns.delete(conn));
      serveDiameterConnection(conn, state, env.log);
    });
    return {
      address: server.address,
      restart() {
        originStateId = (originStateId + 1) >>> 0;
        for (const c of conns) c.close();
      },
      close: () => server.close(),
    };
  },
};
