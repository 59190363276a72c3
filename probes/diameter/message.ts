/** @module Diameter message header and body (RFC 6733 §3): encode and decode. */
import { ByteReader } from "../_wire/byte_reader.ts";
import { ByteWriter } from "../_wire/byte_writer.ts";
import { DecodeError } from "../errors.ts";
import { type Avp, decodeAvps, encodeAvp } from "./avp.ts";

export const CommandFlag = { Request: 0x80, Proxiable: 0x40, Error: 0x20, Retransmit: 0x10 } as const;

export const DIAMETER_HEADER_LENGTH = 20;

export interface DiameterMessage {
  /** R, P, E, T bits (§3). */
  readonly flags: number;
  readonly commandCode: number;
  readonly applicationId: number;
  readonly hopByHop: number;
  readonly endToEnd: number;
  readonly avps: readonly Avp[];
}

export const isRequest = (m: DiameterMessage) => (m.flags & CommandFlag.Request) !== 0;

/** Encode a message; Message Length covers header, AVPs and their padding (§3). */
export function encodeMessage(m: DiameterMessage): Uint8Array {
  const w = new ByteWriter(256);
  w.u8(1).u24(0).u8(m.flags).u24(m.commandCode).u32(m.applicationId).u32(m.hopByHop >>> 0).u32(m.endToEnd >>> 0);
  for (const a of m.avps) encodeAvp(w, a);
  w.setU24(1, w.length);
  return w.finish();
}

/**
 * Decode exactly one message.
 * @throws DecodeError when the version is not 1, the length is not a multiple of 4, disagrees
 *   with the bytes given, or an AVP is malformed.
 */
export function decodeMessage(bytes: Uint8Array): DiameterMessage {
  const r = new ByteReader(bytes, "diameter");
  const version = r.u8("header version");
  if (version !== 1) throw new DecodeError("diameter", 0, `Cannot decode Diameter header: version ${version}, expected 1`);
  const length = r.u24("header length");
  if (length < DIAMETER_HEADER_LENGTH || length % 4 !== 0) {
    throw new DecodeError("diameter", 1, `Cannot decode Diameter header: Message Length ${length} is not a multiple of 4 of at least 20`);
  }
  if (length !== bytes.length) {
    throw new DecodeError("diameter", 1, `Cannot decode Diameter header: Message Length ${length} but ${bytes.length} octets given`);
  }
  const flags = r.u8("command flags");
  const commandCode = r.u24("command code");
  const applicationId = r.u32("Application-ID");
  const hopByHop = r.u32("Hop-by-Hop Identifier");
  const endToEnd = r.u32("End-to-End Identifier");
  const avps = decodeAvps(r);
  return { flags, commandCode, applicationId, hopByHop, endToEnd, avps };
}

/** The AVPs inside a Grouped AVP (§4.4). @throws DecodeError */
export function decodeGrouped(avp: Avp): Avp[] {
  return decodeAvps(new ByteReader(avp.data, "diameter"), true);
}
