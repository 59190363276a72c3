/**
 * @module GTPv1 Echo Request/Response as used by GTP-U (TS 29.281 §7.2) and GTPv1-C
 * (TS 29.060 §7.2.1-7.2.2): the two are the same bytes, only the port and label differ.
 */
import { ByteWriter } from "../_wire/byte_writer.ts";
import { DecodeError } from "../errors.ts";
import { decodeGtpv1Header, GTPV1_MAX_SEQUENCE, Gtpv1MessageType } from "./gtpv1_header.ts";

export const GTPU = "GTP-U";

/** GTPv1 IE types met in Echo (29.060 §7.7.11 Recovery, §7.7.46 Private Extension). */
export const Gtpv1IeType = { Recovery: 14, PrivateExtension: 255 } as const;

export interface EchoResponse {
  readonly sequence: number;
  /** Restart counter from the Recovery IE (29.281 §8.2: GTP-U senders set 0, receivers ignore it). */
  readonly recovery: number;
  /** TLV IE types (>= 128) skipped because this codec does not know them. */
  readonly unknownIes: readonly number[];
}

export interface EchoRequest {
  readonly sequence: number;
}

function checkSequence(sequence: number, protocol: string): void {
  if (!Number.isInteger(sequence) || sequence < 0 || sequence > GTPV1_MAX_SEQUENCE) {
    throw new RangeError(`Cannot encode ${protocol} Echo: sequence ${sequence} is outside 0-${GTPV1_MAX_SEQUENCE}`);
  }
}

/**
 * Echo Request: header with S = 1, TEID 0, no IEs (29.281 §7.2.1: only an optional Private Extension).
 * @example encodeEchoRequest({ sequence: 0xdd68 }) // 32 01 0004 00000000 dd68 00 00
 */
export function encodeEchoRequest(msg: EchoRequest, protocol = GTPU): Uint8Array {
  checkSequence(msg.sequence, protocol);
  return new ByteWriter(12).u8(0x32).u8(Gtpv1MessageType.EchoRequest).u16(4).u32(0).u16(msg.sequence).u8(0).u8(0).finish();
}

/** Echo Response with the mandatory Recovery IE (29.281 §7.2.2, 29.060 §7.2.2). */
export function encodeEchoResponse(msg: { sequence: number; recovery: number }, protocol = GTPU): Uint8Array {
  checkSequence(msg.sequence, protocol);
  if (!Number.isInteger(msg.recovery) || msg.recovery < 0 || msg.recovery > 255) {
    throw new RangeError(`Cannot encode ${protocol} Recovery: ${msg.recovery} is outside 0-255`);
  }
  return new ByteWriter(14).u8(0x32).u8(Gtpv1MessageType.EchoResponse).u16(6).u32(0).u16(msg.sequence).u8(0).u8(0)
    .u8(Gtpv1IeType.Recovery).u8(msg.recovery).finish();
}

function decodeEcho(bytes: Uint8Array, expected: number, name: string, protocol: string): { sequence: number; recovery?: number; unknownIes: number[] } {
  const { header, body } = decodeGtpv1Header(bytes, protocol);
  if (header.version !== 1) {
    throw new DecodeError(protocol, 0, `Cannot decode ${protocol} ${name}: version ${header.version} is not 1`);
  }
  if (header.protocolType !== 1) {
    throw new DecodeError(protocol, 0, `Cannot decode ${protocol} ${name}: protocol type 0 is GTP', not GTP`);
  }
  if (header.messageType !== expected) {
    throw new DecodeError(protocol, 1, `Cannot decode ${protocol} ${name}: message type ${header.messageType} is not ${expected}`);
  }
  if (header.sequence === undefined) {
    throw new DecodeError(protocol, 0, `Cannot decode ${protocol} ${name}: S flag is 0 but echo messages carry a sequence number (29.281 §5.1)`);
  }
  let recovery: number | undefined;
  const unknownIes: number[] = [];
  while (body.remaining > 0) {
    const at = body.offset;
    const type = body.u8("IE type");
    if (type === Gtpv1IeType.Recovery) {
      if (recovery !== undefined) {
        throw new DecodeError(protocol, at, `Cannot decode ${protocol} ${name}: Recovery IE (14) appears twice, again at offset ${at}`);
      }
      recovery = body.u8("Recovery restart counter");
    } else if (type >= 128) {
      // 29.060 §7.7.0: types 128-255 are TLV with a 2-octet length, so they can be skipped.
      const len = body.u16("IE length");
      if (len > body.remaining) {
        throw new DecodeError(protocol, at, `Cannot decode ${protocol} ${name}: IE ${type} at offset ${at} has length ${len} but only ${body.remaining} bytes remain`);
      }
      body.slice(len, "IE value");
      unknownIes.push(type);
    } else {
      // A TV IE (type < 128) has a fixed length known only from its type: we cannot skip it.
      throw new DecodeError(protocol, at, `Cannot decode ${protocol} ${name}: unknown TV IE type ${type} at offset ${at} has no known length`);
    }
  }
  return { sequence: header.sequence, recovery, unknownIes };
}

/** @throws DecodeError */
export function decodeEchoRequest(bytes: Uint8Array, protocol = GTPU): EchoRequest {
  const { sequence } = decodeEcho(bytes, Gtpv1MessageType.EchoRequest, "Echo Request", protocol);
  return { sequence };
}

/** @throws DecodeError, also when the mandatory Recovery IE is missing. */
export function decodeEchoResponse(bytes: Uint8Array, protocol = GTPU): EchoResponse {
  const { sequence, recovery, unknownIes } = decodeEcho(bytes, Gtpv1MessageType.EchoResponse, "Echo Response", protocol);
  if (recovery === undefined) {
    throw new DecodeError(protocol, 12, `Cannot decode ${protocol} Echo Response: the mandatory Recovery IE (14) is missing`);
  }
  return { sequence, recovery, unknownIes };
}
