/** @module GTP-U Echo probe and responder (TS 29.281 §7.2). */
export { decodeGtpv1Header, GTPV1_MAX_SEQUENCE, Gtpv1MessageType } from "./gtpv1_header.ts";
export type { Gtpv1Header } from "./gtpv1_header.ts";
export { decodeEchoRequest, decodeEchoResponse, encodeEchoRequest, encodeEchoResponse, GTPU, Gtpv1IeType } from "./echo.ts";
export type { EchoRequest, EchoResponse } from "./echo.ts";
export { GTPU_PORT, gtpu, gtpuOptions, gtpuProtocol } from "./probe.ts";
export type { GtpuProbeOptions } from "./probe.ts";
export { gtpuReflector, gtpuReflectorProtocol } from "./reflect.ts";
