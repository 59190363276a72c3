/** @module PFCP information elements: TLV walk (TS 29.244 §8.1.1). */
import type { ByteReader } from "../_wire/byte_reader.ts";
import { DecodeError } from "../errors.ts";
import { PFCP } from "./header.ts";

export const PfcpIeType = {
  RecoveryTimeStamp: 96,
  SourceIpAddress: 192,
} as const;

export interface PfcpIe {
  readonly type: number;
  /** Present when type >= 32768 (vendor-specific IE, 29.244 §8.1.1). */
  readonly enterpriseId?: number;
  readonly value: Uint8Array;
  /** Offset of the IE's type field in the datagram. */
  readonly offset: number;
}

/** Walk every IE in the body; each must fit inside the Message Length. */
export function readPfcpIes(body: ByteReader, message: string): PfcpIe[] {
  const ies: PfcpIe[] = [];
  while (body.remaining > 0) {
    const offset = body.offset;
    if (body.remaining < 4) {
      throw new DecodeError(PFCP, offset, `Cannot decode PFCP ${message}: ${body.remaining} bytes left where an IE header needs 4`);
    }
    const type = body.u16("IE type");
    const length = body.u16("IE length");
    if (length > body.remaining) {
      throw new DecodeError(PFCP, offset, `Cannot decode PFCP ${message}: IE ${type} at offset ${offset} has length ${length} but only ${body.remaining} bytes remain`);
    }
    if (type >= 0x8000) {
      if (length < 2) {
        throw new DecodeError(PFCP, offset, `Cannot decode PFCP ${message}: vendor IE ${type} at offset ${offset} has length ${length}, too short for its Enterprise ID`);
      }
      const enterpriseId = body.u16("enterprise ID");
      ies.push({ type, enterpriseId, value: body.slice(length - 2, "IE value"), offset });
    } else {
      ies.push({ type, value: body.slice(length, "IE value"), offset });
    }
  }
  return ies;
}
