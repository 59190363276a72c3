/** @module GTPv2-C Echo Request/Response (TS 29.274 §7.1.1-7.1.2) and Version Not Supported Indication (§7.1.3). */
import { ByteWriter } from "../_wire/byte_writer.ts";
import { DecodeError } from "../errors.ts";
import { decodeGtpv2Header, GTPV2, GTPV2_MAX_SEQUENCE, Gtpv2IeType, Gtpv2MessageType, readGtpv2Ies } from "./v2_header.ts";

export interface V2Echo {
  readonly sequence: number;
  /** Restart counter (Recovery IE, 29.274 §8.5). */
  readonly recovery: number;
  /** Sending Node Features (Node Features IE, instance 0), when present. */
  readonly nodeFeatures?: number;
}

export interface V2EchoDecoded extends V2Echo {
  /** IE types skipped as unknown (29.274 §7.7.8: unknown IEs are ignored). */
  readonly unknownIes: readonly number[];
}

function encodeEcho(type: number, msg: V2Echo): Uint8Array {
  if (!Number.isInteger(msg.sequence) || msg.sequence < 0 || msg.sequence > GTPV2_MAX_SEQUENCE) {
    throw new RangeError(`Cannot encode GTPv2-C Echo: sequence ${msg.sequence} is outside 0-${GTPV2_MAX_SEQUENCE} (top bit must be 0, 29.274 §7.6)`);
  }
  if (!Number.isInteger(msg.recovery) || msg.recovery < 0 || msg.recovery > 255) {
    throw new RangeError(`Cannot encode GTPv2-C Recovery: ${msg.recovery} is outside 0-255`);
  }
  const w = new ByteWriter(24).u8(0x40).u8(type).u16(0).u24(msg.sequence).u8(0)
    .u8(Gtpv2IeType.Recovery).u16(1).u8(0).u8(msg.recovery);
  if (msg.nodeFeatures !== undefined) {
    if (!Number.isInteger(msg.nodeFeatures) || msg.nodeFeatures < 0 || msg.nodeFeatures > 255) {
      throw new RangeError(`Cannot encode GTPv2-C Node Features: ${msg.nodeFeatures} is outside 0-255`);
    }
    w.u8(Gtpv2IeType.NodeFeatures).u16(1).u8(0).u8(msg.nodeFeatures);
  }
  w.setU16(2, w.length - 4);
  return w.finish();
}

/**
 * Echo Request: T = 0, Recovery (M) and optionally Sending Node Features (29.274 Table 7.1.1-1).
 * @example encodeV2EchoRequest({ sequence: 0x8cd1c7, recovery: 5 }) // throws: top bit set
 */
export function encodeV2EchoRequest(msg: V2Echo): Uint8Array {
  return encodeEcho(Gtpv2MessageType.EchoRequest, msg);
}

/** Echo Response: the request's sequence, our Recovery, optional Node Features (29.274 Table 7.1.2-1). */
export function encodeV2EchoResponse(msg: V2Echo): Uint8Array {
  return encodeEcho(Gtpv2MessageType.EchoResponse, msg);
}

/** Version Not Supported Indication: header only, the request's sequence (29.274 §7.1.3). */
export function encodeV2VersionNotSupported(sequence: number): Uint8Array {
  return new ByteWriter(8).u8(0x40).u8(Gtpv2MessageType.VersionNotSupportedIndication).u16(4).u24(sequence & 0xffffff).u8(0).finish();
}

function decodeEcho(bytes: Uint8Array, expected: number, name: string): V2EchoDecoded {
  const { header, body } = decodeGtpv2Header(bytes);
  if (header.version !== 2) {
    throw new DecodeError(GTPV2, 0, `Cannot decode GTPv2-C ${name}: version ${header.version} is not 2`);
  }
  if (header.messageType !== expected) {
    throw new DecodeError(GTPV2, 1, `Cannot decode GTPv2-C ${name}: message type ${header.messageType} is not ${expected}`);
  }
  if (header.teid !== undefined) {
    throw new DecodeError(GTPV2, 0, `Cannot decode GTPv2-C ${name}: T flag is 1 but echo messages carry no TEID (29.274 §5.5.1)`);
  }
  if (header.piggyback) {
    throw new DecodeError(GTPV2, 0, `Cannot decode GTPv2-C ${name}: P flag is 1 but echo messages are never piggybacked (29.274 §5.5.1)`);
  }
  let recovery: number | undefined;
  let nodeFeatures: number | undefined;
  const unknownIes: number[] = [];
  for (const ie of readGtpv2Ies(body, name)) {
    if (ie.type === Gtpv2IeType.Recovery && ie.instance === 0) {
      if (recovery !== undefined) {
        throw new DecodeError(GTPV2, ie.offset, `Cannot decode GTPv2-C ${name}: Recovery IE (3) appears twice, again at offset ${ie.offset}`);
      }
      if (ie.value.length < 1) {
        throw new DecodeError(GTPV2, ie.offset, `Cannot decode GTPv2-C ${name}: Recovery IE at offset ${ie.offset} has length 0, needs 1`);
      }
      recovery = ie.value[0];
    } else if (ie.type === Gtpv2IeType.NodeFeatures && ie.instance === 0) {
      if (nodeFeatures !== undefined) {
        throw new DecodeError(GTPV2, ie.offset, `Cannot decode GTPv2-C ${name}: Node Features IE (152) appears twice, again at offset ${ie.offset}`);
      }
      if (ie.value.length < 1) {
        throw new DecodeError(GTPV2, ie.offset, `Cannot decode GTPv2-C ${name}: Node Features IE at offset ${ie.offset} has length 0, needs 1`);
      }
      nodeFeatures = ie.value[0];
    } else {
      unknownIes.push(ie.type);
    }
  }
  if (recovery === undefined) {
    throw new DecodeError(GTPV2, 8, `Cannot decode GTPv2-C ${name}: the mandatory Recovery IE (3) is missing`);
  }
  return { sequence: header.sequence, recovery, ...(nodeFeatures !== undefined ? { nodeFeatures } : {}), unknownIes };
}

/** @throws DecodeError */
export function decodeV2EchoRequest(bytes: Uint8Array): V2EchoDecoded {
  return decodeEcho(bytes, Gtpv2MessageType.EchoRequest, "Echo Request");
}

/** @throws DecodeError */
export function decodeV2EchoResponse(bytes: Uint8Array): V2EchoDecoded {
  return decodeEcho(bytes, Gtpv2MessageType.EchoResponse, "Echo Response");
}
