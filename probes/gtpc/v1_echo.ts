/** @module GTPv1-C Echo (TS 29.060 §7.2.1-7.2.2): the GTP-U echo bytes, labelled GTPv1-C. */
import { decodeEchoRequest, decodeEchoResponse, encodeEchoRequest, encodeEchoResponse } from "../gtpu/mod.ts";
import type { EchoResponse } from "../gtpu/mod.ts";

export const GTPV1C = "GTPv1-C";

export function encodeV1EchoRequest(msg: { sequence: number }): Uint8Array {
  return encodeEchoRequest(msg, GTPV1C);
}
export function encodeV1EchoResponse(msg: { sequence: number; recovery: number }): Uint8Array {
  return encodeEchoResponse(msg, GTPV1C);
}
/** @throws DecodeError */
export function decodeV1EchoRequest(bytes: Uint8Array): { sequence: number } {
  return decodeEchoRequest(bytes, GTPV1C);
}
/** @throws DecodeError */
export function decodeV1EchoResponse(bytes: Uint8Array): EchoResponse {
  return decodeEchoResponse(bytes, GTPV1C);
}
