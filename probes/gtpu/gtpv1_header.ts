/**
 * @module The GTPv1 header shared by GTP-U (TS 29.281 §5.1) and GTPv1-C (TS 29.060 §6),
 * with its optional fields and extension header chain.
 */
import { ByteReader } from "../_wire/byte_reader.ts";
import { DecodeError } from "../errors.ts";

/** Path-management message types common to GTP-U and GTPv1-C (29.281 Table 6.1-1, 29.060 Table 1). */
export const Gtpv1MessageType = {
  EchoRequest: 1,
  EchoResponse: 2,
  /** GTPv1-C only (29.060 §7.2.3). */
  VersionNotSupported: 3,
} as const;

export const GTPV1_MAX_SEQUENCE = 0xffff;

export interface Gtpv1Header {
  readonly version: number;
  /** Protocol Type: 1 = GTP, 0 = GTP' (29.281 §5.1). */
  readonly protocolType: number;
  readonly messageType: number;
  /** Octets after the first 8 (29.281 §5.1). */
  readonly length: number;
  readonly teid: number;
  /** Present when S = 1; when only E or PN is set the field exists but "shall not be evaluated". */
  readonly sequence?: number;
  readonly extensionHeaderTypes: readonly number[];
}

/**
 * Decode the header; the Length must cover the datagram exactly (one message per datagram).
 * @param protocol label for errors: "GTP-U" or "GTPv1-C".
 * @returns the header and a reader positioned on the first IE.
 * @throws DecodeError
 */
export function decodeGtpv1Header(bytes: Uint8Array, protocol: string): { header: Gtpv1Header; body: ByteReader } {
  if (bytes.length < 8) {
    throw new DecodeError(protocol, 0, `Cannot decode ${protocol} header: ${bytes.length} bytes is shorter than the 8-byte mandatory header`);
  }
  const r = new ByteReader(bytes, protocol);
  const o1 = r.u8("flags");
  const version = o1 >>> 5;
  const protocolType = (o1 >>> 4) & 1;
  const e = (o1 & 0x04) !== 0, s = (o1 & 0x02) !== 0, pn = (o1 & 0x01) !== 0;
  const messageType = r.u8("message type");
  const length = r.u16("length");
  const teid = r.u32("TEID");
  if (8 + length > bytes.length) {
    throw new DecodeError(protocol, 2, `Cannot decode ${protocol} header: length ${length} exceeds the ${bytes.length - 8} bytes after the first 8`);
  }
  if (8 + length < bytes.length) {
    throw new DecodeError(protocol, 2, `Cannot decode ${protocol} header: length ${length} leaves ${bytes.length - 8 - length} trailing bytes in the datagram`);
  }
  const body = new ByteReader(bytes, protocol, 8, 8 + length);
  let sequence: number | undefined;
  const extensionHeaderTypes: number[] = [];
  if (e || s || pn) {
    if (body.remaining < 4) {
      throw new DecodeError(protocol, 8, `Cannot decode ${protocol} header: E/S/PN set but length ${length} leaves no room for the 4 optional octets`);
    }
    const seq = body.u16("sequence number");
    if (s) sequence = seq;
    body.u8("N-PDU number");
    let next = body.u8("next extension header type");
    // 29.281 §5.2.1: the type is only meaningful when E = 1.
    while (e && next !== 0) {
      const at = body.offset;
      extensionHeaderTypes.push(next);
      const units = body.u8("extension header length");
      if (units === 0) {
        throw new DecodeError(protocol, at, `Cannot decode ${protocol} extension header ${next} at offset ${at}: length 0 (29.281 §5.2.1 counts 4-octet units and must be positive)`);
      }
      if (units * 4 - 1 > body.remaining) {
        throw new DecodeError(protocol, at, `Cannot decode ${protocol} extension header ${next} at offset ${at}: ${units * 4} octets exceed the ${body.remaining + 1} remaining`);
      }
      body.slice(units * 4 - 2, "extension header content");
      next = body.u8("next extension header type");
    }
  }
  return { header: { version, protocolType, messageType, length, teid, sequence, extensionHeaderTypes }, body };
}
