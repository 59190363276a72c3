/** @module `edgeprobe reflect pfcp`: answers Heartbeat Requests per TS 29.244 §6.2.2 / §7.4.2. */
import { startUdpReflector } from "../_udp/mod.ts";
import type { ReflectorProtocol } from "../_udp/mod.ts";
import { DecodeError } from "../errors.ts";
import type { Reflector } from "../types.ts";
import { PFCP, PFCP_VERSION, PfcpMessageType } from "./header.ts";
import { decodeHeartbeatRequest, encodeHeartbeatResponse, encodeVersionNotSupportedResponse, peekPfcpRequest } from "./heartbeat.ts";
import { ntpSecondsFromUnixMs } from "./recovery_time_stamp.ts";
import { PFCP_PORT } from "./probe.ts";

export const pfcpReflectorProtocol: ReflectorProtocol = {
  label: PFCP,
  defaultPort: PFCP_PORT,
  extraOptions: [],
  answer(bytes, recovery) {
    const head = peekPfcpRequest(bytes);
    // 29.244 §7.4.4.7: a request of a version we do not speak gets a bare Version Not Supported Response.
    if (head.version !== PFCP_VERSION) return encodeVersionNotSupportedResponse(head.sequence);
    if (head.messageType !== PfcpMessageType.HeartbeatRequest) {
      throw new DecodeError(PFCP, 1, `Cannot answer PFCP message type ${head.messageType}: this reflector answers only Heartbeat Requests`);
    }
    const req = decodeHeartbeatRequest(bytes);
    return encodeHeartbeatResponse({ sequence: req.sequence, recoveryTimeStamp: recovery });
  },
  // A restart is a new start time; never the same second twice, so the peer always sees a change.
  nextRecovery: (current, now) => {
    const ntp = ntpSecondsFromUnixMs(now);
    return ntp === current ? (current + 1) >>> 0 : ntp;
  },
};

export const pfcpReflector: Reflector = {
  kind: "pfcp",
  summary: "answers PFCP Heartbeat Requests with its Recovery Time Stamp (--recovery NTP seconds; default: its start time)",
  defaultListen: "127.0.0.1:8805",
  start: (options, env) => {
    if (options.recovery !== undefined && options.recovery > 0xffffffff) {
      return Promise.reject(new TypeError(`--recovery: a Recovery Time Stamp is 32-bit NTP seconds, got ${options.recovery}`));
    }
    return startUdpReflector(pfcpReflectorProtocol, options.recovery ?? ntpSecondsFromUnixMs(env.now()), options, env);
  },
};
