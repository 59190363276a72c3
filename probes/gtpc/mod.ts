/** @module GTP-C Echo probe and responder: GTPv2-C (TS 29.274 §7.1) and GTPv1-C (TS 29.060 §7.2). */
export { decodeGtpv2Header, GTPV2, GTPV2_MAX_SEQUENCE, Gtpv2IeType, Gtpv2MessageType, readGtpv2Ies } from "./v2_header.ts";
export type { Gtpv2Header, Gtpv2Ie } from "./v2_header.ts";
export { decodeV2EchoRequest, decodeV2EchoResponse, encodeV2EchoRequest, encodeV2EchoResponse, encodeV2VersionNotSupported } from "./v2_echo.ts";
export type { V2Echo, V2EchoDecoded } from "./v2_echo.ts";
export { decodeV1EchoRequest, decodeV1EchoResponse, encodeV1EchoRequest, encodeV1EchoResponse, GTPV1C } from "./v1_echo.ts";
export { decodeGtpcEchoReply, encodeV1VersionNotSupported } from "./echo_reply.ts";
export type { GtpcEchoReply } from "./echo_reply.ts";
export { NodeFeature, nodeFeatureNames } from "./node_features.ts";
export { GTPC_PORT, gtpc, gtpcOptions, gtpcProtocol } from "./probe.ts";
export type { GtpcProbeOptions } from "./probe.ts";
export { gtpcReflector } from "./reflect.ts";
