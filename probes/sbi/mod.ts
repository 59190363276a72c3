/** @module 3GPP SBI probe over HTTP/2 (TS 29.500, 29.510, 29.571) and its lab responder. */
export { apiRoot, sbi } from "./sbi_probe.ts";
export { sbiOptions } from "./options.ts";
export type { SbiProbeOptions } from "./options.ts";
export { formatSenderTimestamp, parseSenderTimestamp } from "./sender_timestamp.ts";
export { decodeHeartbeatProfile, HEARTBEAT_PATCH, heartbeatPath } from "./nrf_heartbeat.ts";
export { lciLoadMetric, loadFacts, ociReductionMetric } from "./load_headers.ts";
export { sbiReflector } from "./reflector.ts";
