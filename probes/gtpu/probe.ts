/** @module The `gtpu` probe kind: Echo Request/Response on the user plane (TS 29.281 §7.2). */
import { z } from "zod";
import { createUdpEchoProbe, udpEchoOptionShape } from "../_udp/mod.ts";
import type { EchoProtocol } from "../_udp/mod.ts";
import type { ProbeKind } from "../types.ts";
import { decodeEchoResponse, encodeEchoRequest, GTPU } from "./echo.ts";
import { GTPV1_MAX_SEQUENCE } from "./gtpv1_header.ts";

export const gtpuOptions = z.strictObject({ ...udpEchoOptionShape });
export type GtpuProbeOptions = z.infer<typeof gtpuOptions>;

/** GTP-U over UDP 2152 (29.281 §4.4.2). */
export const GTPU_PORT = 2152;

/** The GTP-U echo exchange, also used by the bench. */
export const gtpuProtocol: EchoProtocol = {
  label: GTPU,
  exchange: "Echo",
  minSequence: 1,
  maxSequence: GTPV1_MAX_SEQUENCE,
  encodeRequest: (sequence) => encodeEchoRequest({ sequence }),
  decodeReply(bytes) {
    const r = decodeEchoResponse(bytes);
    return { type: "response", sequence: r.sequence, recovery: r.recovery, facts: r.unknownIes.length ? { unknownIes: r.unknownIes.join(",") } : undefined };
  },
  // 29.281 §8.2 [mem]: the GTP-U Recovery counter is 0 and "shall be ignored" by the receiver;
  // osmo-ggsn sends its real counter, so it is kept as a fact, never as a restart.
  recovery: { fact: "recovery" },
};

export const gtpu: ProbeKind<GtpuProbeOptions> = {
  kind: "gtpu",
  summary: "GTP-U Echo (TS 29.281) to HOST[:2152]",
  example: "edgeprobe probe gtpu 10.0.0.3 --burst 10 --burst-interval 20ms",
  defaultPort: GTPU_PORT,
  options: gtpuOptions,
  create: (spec, env) => createUdpEchoProbe(gtpuProtocol, spec, env, GTPU_PORT),
};
