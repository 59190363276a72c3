/** @module The `pfcp` probe kind: Heartbeat Request/Response (TS 29.244 §7.4.2). */
import { z } from "zod";
import { createUdpEchoProbe, udpEchoOptionShape } from "../_udp/mod.ts";
import type { EchoProtocol } from "../_udp/mod.ts";
import type { ProbeKind } from "../types.ts";
import { PFCP_MAX_SEQUENCE } from "./header.ts";
import { decodeHeartbeatReply, encodeHeartbeatRequest } from "./heartbeat.ts";
import { isoFromNtpSeconds, ntpSecondsFromUnixMs } from "./recovery_time_stamp.ts";

export const pfcpOptions = z.strictObject({
  ...udpEchoOptionShape,
  recoveryTimeStamp: z.number().int().min(0).max(0xffffffff).optional().describe("Our own Recovery Time Stamp, NTP seconds (29.244 §8.2.65). Default: the agent's start time (performance.timeOrigin), so it moves only when the agent restarts, as the spec means it to."),
});
export type PfcpProbeOptions = z.infer<typeof pfcpOptions>;

/** PFCP over UDP 8805 (29.244 §4.2.2). */
export const PFCP_PORT = 8805;

export const pfcp: ProbeKind<PfcpProbeOptions> = {
  kind: "pfcp",
  summary: "PFCP Heartbeat (TS 29.244) to HOST[:8805]; peer restart from the Recovery Time Stamp",
  example: "edgeprobe probe pfcp 10.0.0.2 --n1 2 --timeout 3s",
  defaultPort: PFCP_PORT,
  options: pfcpOptions,
  create(spec, env) {
    const ours = spec.options.recoveryTimeStamp ?? ntpSecondsFromUnixMs(performance.timeOrigin);
    const protocol: EchoProtocol = {
      label: "PFCP",
      exchange: "Heartbeat",
      minSequence: 1,
      maxSequence: PFCP_MAX_SEQUENCE,
      encodeRequest: (sequence) => encodeHeartbeatRequest({ sequence, recoveryTimeStamp: ours }),
      decodeReply(bytes) {
        const r = decodeHeartbeatReply(bytes);
        if (r.type === "version-not-supported") return r;
        return {
          type: "response",
          sequence: r.sequence,
          recovery: r.recoveryTimeStamp,
          facts: r.unknownIes.length ? { unknownIes: r.unknownIes.join(",") } : undefined,
        };
      },
      recovery: {
        fact: "recoveryTimeStamp",
        modulus: 2 ** 32,
        describe: (v, now) => ({ recoveryTime: isoFromNtpSeconds(v, now) }),
      },
    };
    return createUdpEchoProbe(protocol, spec, env, PFCP_PORT);
  },
};
