/** @module GTPv2-C header (TS 29.274 §5.1, §5.5.1) and IE walk (§8.2.1). */
import { ByteReader } from "../_wire/byte_reader.ts";
import { DecodeError } from "../errors.ts";

export const GTPV2 = "GTPv2-C";

export const Gtpv2MessageType = {
  EchoRequest: 1,
  EchoResponse: 2,
  VersionNotSupportedIndication: 3,
} as const;

export const Gtpv2IeType = { Recovery: 3, NodeFeatures: 152, PrivateExtension: 255 } as const;

/**
 * Requests not triggered by a Command use sequence numbers with the top bit 0
 * (29.274 §7.6, as quoted in open5gs lib/gtp/xact.h): 0x000000-0x7FFFFF.
 */
export const GTPV2_MAX_SEQUENCE = 0x7fffff;

export interface Gtpv2Header {
  readonly version: number;
  readonly piggyback: boolean;
  readonly teid?: number;
  readonly messageType: number;
  /** Octets after the first 4 (29.274 §5.5.1). */
  readonly length: number;
  readonly sequence: number;
  readonly priority?: number;
}

export interface Gtpv2Ie {
  readonly type: number;
  readonly instance: number;
  readonly value: Uint8Array;
  readonly offset: number;
}

/**
 * Decode the header; with P = 0 the Message Length must cover the datagram exactly.
 * The version is not checked here (a Version Not Supported Indication carries the peer's own).
 * @throws DecodeError
 */
export function decodeGtpv2Header(bytes: Uint8Array): { header: Gtpv2Header; body: ByteReader } {
  if (bytes.length < 8) {
    throw new DecodeError(GTPV2, 0, `Cannot decode GTPv2-C header: ${bytes.length} bytes is shorter than the 8-byte header without TEID`);
  }
  const r = new ByteReader(bytes, GTPV2);
  const o1 = r.u8("flags");
  const version = o1 >>> 5;
  const piggyback = (o1 & 0x10) !== 0;
  const t = (o1 & 0x08) !== 0;
  const mp = (o1 & 0x04) !== 0;
  const messageType = r.u8("message type");
  const length = r.u16("message length");
  if (4 + length > bytes.length) {
    throw new DecodeError(GTPV2, 2, `Cannot decode GTPv2-C header: message length ${length} exceeds the ${bytes.length - 4} bytes after the first 4`);
  }
  // 29.274 §5.5.1: only a piggybacked message (P = 1) may follow inside the same datagram.
  if (4 + length < bytes.length && !piggyback) {
    throw new DecodeError(GTPV2, 2, `Cannot decode GTPv2-C header: message length ${length} leaves ${bytes.length - 4 - length} trailing bytes and P is 0`);
  }
  const minLength = t ? 8 : 4;
  if (length < minLength) {
    throw new DecodeError(GTPV2, 2, `Cannot decode GTPv2-C header: message length ${length} is shorter than the ${minLength} header octets after the first 4`);
  }
  const body = new ByteReader(bytes, GTPV2, 4, 4 + length);
  const teid = t ? body.u32("TEID") : undefined;
  const sequence = body.u24("sequence number");
  const o = body.u8("spare/priority");
  return {
    header: { version, piggyback, messageType, length, sequence, ...(t ? { teid } : {}), ...(mp ? { priority: o >>> 4 } : {}) },
    body,
  };
}

/** Walk the IEs (29.274 §8.2.1: Type 1 | Length 2 | spare 4 bits + Instance 4 bits | value). */
export function readGtpv2Ies(body: ByteReader, message: string): Gtpv2Ie[] {
  const ies: Gtpv2Ie[] = [];
  while (body.remaining > 0) {
    const offset = body.offset;
    if (body.remaining < 4) {
      throw new DecodeError(GTPV2, offset, `Cannot decode GTPv2-C ${message}: ${body.remaining} bytes left where an IE header needs 4`);
    }
    const type = body.u8("IE type");
    const length = body.u16("IE length");
    const instance = body.u8("IE instance") & 0x0f;
    if (length > body.remaining) {
      throw new DecodeError(GTPV2, offset, `Cannot decode GTPv2-C ${message}: IE ${type} at offset ${offset} has length ${length} but only ${body.remaining} bytes remain`);
    }
    ies.push({ type, instance, value: body.slice(length, "IE value"), offset });
  }
  return ies;
}
