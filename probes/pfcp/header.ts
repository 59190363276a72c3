/** @module PFCP header for node-related messages (TS 29.244 §7.2.2). */
import { ByteReader } from "../_wire/byte_reader.ts";
import { DecodeError } from "../errors.ts";

export const PFCP = "PFCP";

/** Message types used by path management (TS 29.244 Table 7.3-1). */
export const PfcpMessageType = {
  HeartbeatRequest: 1,
  HeartbeatResponse: 2,
  VersionNotSupportedResponse: 11,
} as const;
export type PfcpMessageType = typeof PfcpMessageType[keyof typeof PfcpMessageType];

/** The PFCP version this codec speaks (29.244 §7.2.2.1: Version = 1). */
export const PFCP_VERSION = 1;
/** 24-bit sequence space (29.244 §7.2.2.2). */
export const PFCP_MAX_SEQUENCE = 0xffffff;

export interface PfcpHeader {
  readonly version: number;
  readonly messageType: number;
  /** Message Length: octets after the first 4 (29.244 §7.2.2.1). */
  readonly length: number;
  readonly sequence: number;
  /** Follow-on (bundled message after this one). */
  readonly followOn: boolean;
  readonly seid?: bigint;
  /** Message priority, when MP = 1. */
  readonly priority?: number;
}

/**
 * Decode the header and check that the Message Length matches the datagram exactly.
 * The version is NOT checked here: a Version Not Supported Response carries the peer's own
 * version (29.244 §7.4.4.7), so callers decide.
 * @returns the header and a reader positioned on the first IE, bounded by the Message Length.
 * @throws DecodeError on truncation or a length that does not match the datagram.
 */
export function decodePfcpHeader(bytes: Uint8Array): { header: PfcpHeader; body: ByteReader } {
  const r = new ByteReader(bytes, PFCP);
  if (bytes.length < 8) {
    throw new DecodeError(PFCP, 0, `Cannot decode PFCP header: ${bytes.length} bytes is shorter than the 8-byte node header`);
  }
  const o1 = r.u8("flags");
  const version = o1 >>> 5;
  const followOn = (o1 & 0x04) !== 0;
  const mp = (o1 & 0x02) !== 0;
  const s = (o1 & 0x01) !== 0;
  const messageType = r.u8("message type");
  const length = r.u16("message length");
  if (4 + length > bytes.length) {
    throw new DecodeError(PFCP, 2, `Cannot decode PFCP header: message length ${length} exceeds the ${bytes.length - 4} bytes after the first 4`);
  }
  // 29.244 §6.4 allows bundling only with FO=1; without it, extra bytes mean the length is wrong.
  if (4 + length < bytes.length && !followOn) {
    throw new DecodeError(PFCP, 2, `Cannot decode PFCP header: message length ${length} leaves ${bytes.length - 4 - length} trailing bytes and FO is 0`);
  }
  const minLength = s ? 12 : 4;
  if (length < minLength) {
    throw new DecodeError(PFCP, 2, `Cannot decode PFCP header: message length ${length} is shorter than the ${minLength} header octets after the first 4`);
  }
  const body = new ByteReader(bytes, PFCP, 4, 4 + length);
  let seid: bigint | undefined;
  if (s) {
    const hi = body.u32("SEID");
    const lo = body.u32("SEID");
    seid = (BigInt(hi) << 32n) | BigInt(lo);
  }
  const sequence = body.u24("sequence number");
  const o8 = body.u8("spare/priority");
  return {
    header: { version, messageType, length, sequence, followOn, ...(s ? { seid } : {}), ...(mp ? { priority: o8 >>> 4 } : {}) },
    body,
  };
}
