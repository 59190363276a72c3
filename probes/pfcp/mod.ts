/** @module PFCP Heartbeat probe and responder (TS 29.244 §7.4.2). */
export { decodePfcpHeader, PFCP, PFCP_MAX_SEQUENCE, PFCP_VERSION, PfcpMessageType } from "./header.ts";
export type { PfcpHeader } from "./header.ts";
export { PfcpIeType, readPfcpIes } from "./ie.ts";
export {
  decodeHeartbeatReply,
  decodeHeartbeatRequest,
  decodeHeartbeatResponse,
  encodeHeartbeatRequest,
  encodeHeartbeatResponse,
  encodeVersionNotSupportedResponse,
  peekPfcpRequest,
} from "./heartbeat.ts";
export type { HeartbeatReply, HeartbeatRequest, HeartbeatResponse } from "./heartbeat.ts";
export { isoFromNtpSeconds, NTP_UNIX_OFFSET_S, ntpSecondsFromUnixMs } from "./recovery_time_stamp.ts";
export { PFCP_PORT, pfcp, pfcpOptions } from "./probe.ts";
export type { PfcpProbeOptions } from "./probe.ts";
export { pfcpReflector, pfcpReflectorProtocol } from "./reflect.ts";
