/** @module `edgeprobe reflect gtpc`: answers GTPv2-C (TS 29.274 §7.1) and GTPv1-C (TS 29.060 §7.2) Echo Requests. */
import { startUdpReflector } from "../_udp/mod.ts";
import type { ReflectorProtocol } from "../_udp/mod.ts";
import { DecodeError } from "../errors.ts";
import type { Reflector, ReflectorOptions } from "../types.ts";
import { GTPC_PORT } from "./probe.ts";
import { decodeV1EchoRequest, encodeV1EchoResponse } from "./v1_echo.ts";
import { decodeV2EchoRequest, encodeV2EchoResponse, encodeV2VersionNotSupported } from "./v2_echo.ts";
import { GTPV2 } from "./v2_header.ts";

export function gtpcReflectorProtocol(nodeFeatures: number | undefined): ReflectorProtocol {
  return {
    label: "GTP-C",
    defaultPort: GTPC_PORT,
    extraOptions: ["nodeFeatures"],
    answer(bytes, recovery) {
      if (bytes.length < 1) throw new DecodeError(GTPV2, 0, "Cannot decode GTP-C request: empty datagram");
      const version = bytes[0] >>> 5;
      if (version === 2) {
        const req = decodeV2EchoRequest(bytes);
        return encodeV2EchoResponse({ sequence: req.sequence, recovery, nodeFeatures });
      }
      if (version === 1) {
        const req = decodeV1EchoRequest(bytes);
        return encodeV1EchoResponse({ sequence: req.sequence, recovery });
      }
      // 29.274 §7.1.3: versions we do not speak get a Version Not Supported Indication.
      if (bytes.length < 8) throw new DecodeError(GTPV2, 0, `Cannot decode GTP-C version ${version} request: ${bytes.length} bytes is too short for a sequence`);
      return encodeV2VersionNotSupported(((bytes[4] << 16) | (bytes[5] << 8) | bytes[6]) & 0x7fffff);
    },
    nextRecovery: (current) => (current + 1) & 0xff,
  };
}

function parseNodeFeatures(options: ReflectorOptions): number | undefined {
  const raw = options.extra.nodeFeatures;
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 255) throw new TypeError(`--node-features: expected 0-255 (0x01 = PRN), got ${JSON.stringify(raw)}`);
  return n;
}

export const gtpcReflector: Reflector = {
  kind: "gtpc",
  summary: "answers GTPv2-C and GTPv1-C Echo Requests with its restart counter (--recovery N, --node-features N)",
  defaultListen: "127.0.0.1:2123",
  start: (options, env) => {
    if (options.recovery !== undefined && options.recovery > 255) {
      return Promise.reject(new TypeError(`--recovery: a GTP restart counter is 0-255, got ${options.recovery}`));
    }
    let nodeFeatures;
    try {
      nodeFeatures = parseNodeFeatures(options);
    } catch (e) {
      return Promise.reject(e);
    }
    return startUdpReflector(gtpcReflectorProtocol(nodeFeatures), options.recovery ?? 0, options, env);
  },
};
