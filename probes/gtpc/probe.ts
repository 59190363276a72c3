/** @module The `gtpc` probe kind: GTPv2-C (TS 29.274 §7.1) or GTPv1-C (TS 29.060 §7.2) Echo. */
import { z } from "zod";
import { createUdpEchoProbe, udpEchoOptionShape } from "../_udp/mod.ts";
import type { EchoProtocol } from "../_udp/mod.ts";
import { GTPV1_MAX_SEQUENCE } from "../gtpu/mod.ts";
import type { ProbeKind } from "../types.ts";
import { decodeGtpcEchoReply } from "./echo_reply.ts";
import { nodeFeatureNames } from "./node_features.ts";
import { encodeV1EchoRequest, GTPV1C } from "./v1_echo.ts";
import { encodeV2EchoRequest } from "./v2_echo.ts";
import { GTPV2, GTPV2_MAX_SEQUENCE } from "./v2_header.ts";

export const gtpcOptions = z.strictObject({
  ...udpEchoOptionShape,
  version: z.union([z.literal(1), z.literal(2)]).default(2).describe("GTP-C version to speak: 2 (29.274) or 1 (29.060)."),
  restartCounter: z.number().int().min(0).max(255).default(0).describe("Our restart counter in the v2 Echo Request's mandatory Recovery IE (29.274 §8.5). A probe has no contexts a peer could lose, so a constant is right."),
  nodeFeatures: z.number().int().min(0).max(255).optional().describe("Sending Node Features to advertise in v2 requests (29.274 §8.83); none when absent."),
});
export type GtpcProbeOptions = z.infer<typeof gtpcOptions>;

/** GTP-C over UDP 2123 (29.274 §4.2, 29.060 §5). */
export const GTPC_PORT = 2123;

export function gtpcProtocol(options: Pick<GtpcProbeOptions, "version" | "restartCounter" | "nodeFeatures">): EchoProtocol {
  const v = options.version;
  return {
    label: v === 1 ? GTPV1C : GTPV2,
    exchange: "Echo",
    minSequence: 1,
    maxSequence: v === 1 ? GTPV1_MAX_SEQUENCE : GTPV2_MAX_SEQUENCE,
    encodeRequest: v === 1
      ? (sequence) => encodeV1EchoRequest({ sequence })
      : (sequence) => encodeV2EchoRequest({ sequence, recovery: options.restartCounter, nodeFeatures: options.nodeFeatures }),
    decodeReply(bytes) {
      const r = decodeGtpcEchoReply(bytes, v);
      // osmo-ggsn 1.9.0 answers a v2 request with a GTPv1 Version Not Supported whose 16-bit
      // sequence is 0 (seen with tshark, tests/udp): a header of another version cannot echo our
      // sequence, so such an answer matches whatever we have outstanding.
      if (r.type === "version-not-supported") return r.peerVersion === v ? r : { ...r, sequence: undefined };
      const facts: Record<string, string | number> = {};
      if (r.nodeFeatures !== undefined) {
        facts.nodeFeatures = r.nodeFeatures;
        facts.nodeFeatureNames = nodeFeatureNames(r.nodeFeatures);
      }
      if (r.unknownIes.length) facts.unknownIes = r.unknownIes.join(",");
      return { type: "response", sequence: r.sequence, recovery: r.recovery, facts };
    },
    // 23.007 §18: the GTP-C restart counter, compared modulo 256.
    recovery: { fact: "restartCounter", modulus: 256 },
  };
}

export const gtpc: ProbeKind<GtpcProbeOptions> = {
  kind: "gtpc",
  summary: "GTP-C Echo (v2 TS 29.274, or v1 TS 29.060 with --version 1) to HOST[:2123]; peer restart from the restart counter",
  example: "edgeprobe probe gtpc 10.0.0.4 --version 2",
  defaultPort: GTPC_PORT,
  options: gtpcOptions,
  create: (spec, env) => createUdpEchoProbe(gtpcProtocol(spec.options), spec, env, GTPC_PORT),
};
