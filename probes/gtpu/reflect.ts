/** @module `edgeprobe reflect gtpu`: answers GTP-U Echo Requests (TS 29.281 §7.2). */
import { startUdpReflector } from "../_udp/mod.ts";
import type { ReflectorProtocol } from "../_udp/mod.ts";
import type { Reflector } from "../types.ts";
import { decodeEchoRequest, encodeEchoResponse, GTPU } from "./echo.ts";
import { GTPU_PORT } from "./probe.ts";

export const gtpuReflectorProtocol: ReflectorProtocol = {
  label: GTPU,
  defaultPort: GTPU_PORT,
  extraOptions: [],
  answer(bytes, recovery) {
    // 23.007 §18A: a GTP-U entity answers Echo Requests from any peer at any time.
    const req = decodeEchoRequest(bytes);
    return encodeEchoResponse({ sequence: req.sequence, recovery });
  },
  nextRecovery: (current) => (current + 1) & 0xff,
};

export const gtpuReflector: Reflector = {
  kind: "gtpu",
  summary: "answers GTP-U Echo Requests (Recovery 0 as 29.281 §8.2 says, or --recovery N like osmo-ggsn)",
  defaultListen: "127.0.0.1:2152",
  start: (options, env) => startUdpReflector(gtpuReflectorProtocol, options.recovery ?? 0, options, env),
};
