/**
 * @module Diameter AVPs (RFC 6733 §4.1): header, optional Vendor-ID, data, padding to 4 octets.
 * Decoding is bounds-checked; a bad length is a DecodeError, never a RangeError.
 */
import { ByteReader } from "../_wire/byte_reader.ts";
import { ByteWriter } from "../_wire/byte_writer.ts";
import { DecodeError } from "../errors.ts";
import { MANDATORY_BIT_AVPS } from "./dictionary.ts";

export const AvpFlag = { Vendor: 0x80, Mandatory: 0x40, Protected: 0x20 } as const;

export interface Avp {
  readonly code: number;
  /** V, M, P bits (§4.1); the other five are reserved and sent as 0. */
  readonly flags: number;
  readonly vendorId?: number;
  readonly data: Uint8Array;
}

const pad4 = (n: number) => (4 - (n % 4)) % 4;

/** Bytes the AVP takes on the wire, padding included. */
export function avpWireLength(avp: Avp): number {
  const len = (avp.vendorId !== undefined ? 12 : 8) + avp.data.length;
  return len + pad4(len);
}

/** Append one AVP; its Length excludes the padding (§4.1). */
export function encodeAvp(w: ByteWriter, avp: Avp): void {
  const vendor = avp.vendorId !== undefined;
  const len = (vendor ? 12 : 8) + avp.data.length;
  if (len > 0xffffff) throw new RangeError(`Cannot encode AVP ${avp.code}: length ${len} exceeds 24 bits`);
  w.u32(avp.code).u8((avp.flags & ~AvpFlag.Vendor) | (vendor ? AvpFlag.Vendor : 0)).u24(len);
  if (vendor) w.u32(avp.vendorId!);
  w.bytes(avp.data);
  for (let i = 0; i < pad4(len); i++) w.u8(0);
}

export function encodeAvps(avps: readonly Avp[]): Uint8Array {
  const w = new ByteWriter(256);
  for (const a of avps) encodeAvp(w, a);
  return w.finish();
}

/**
 * Decode the AVPs filling `r` to its end.
 * @param lastPadOptional accept a final AVP whose padding is cut off (inside a Grouped AVP,
 *   whose own Length excludes padding, §4.4).
 * @throws DecodeError on a Length below the header size, beyond the bytes left, or missing padding.
 */
export function decodeAvps(r: ByteReader, lastPadOptional = false): Avp[] {
  const out: Avp[] = [];
  while (r.remaining > 0) {
    const start = r.offset;
    const code = r.u32("AVP code");
    const flags = r.u8("AVP flags");
    const len = r.u24("AVP length");
    const vendor = (flags & AvpFlag.Vendor) !== 0;
    const headerLen = vendor ? 12 : 8;
    if (len < headerLen) {
      throw new DecodeError(r.protocol, start, `Cannot decode Diameter AVP ${code}: length ${len} is below its ${headerLen}-octet header`);
    }
    if (start + len > r.end) {
      throw new DecodeError(r.protocol, start, `Cannot decode Diameter AVP ${code}: length ${len} exceeds the ${r.end - start} octets left`);
    }
    const vendorId = vendor ? r.u32("AVP Vendor-ID") : undefined;
    const data = r.slice(len - headerLen, "AVP data");
    const padding = pad4(len);
    if (padding > r.remaining) {
      if (!(lastPadOptional && r.remaining === 0)) {
        throw new DecodeError(r.protocol, r.offset, `Cannot decode Diameter AVP ${code}: ${padding} octets of padding missing`);
      }
    } else r.slice(padding, "AVP padding");
    out.push(vendorId !== undefined ? { code, flags, vendorId, data } : { code, flags, data });
  }
  return out;
}

/** The M bit as the base dictionary wants it for `code`. */
export function mandatoryFlag(code: number): number {
  return MANDATORY_BIT_AVPS.has(code) ? AvpFlag.Mandatory : 0;
}

/** Unsigned32 / Enumerated / Integer32-as-unsigned AVP (§4.2). */
export function u32Avp(code: number, value: number): Avp {
  const data = new Uint8Array(4);
  new DataView(data.buffer).setUint32(0, value >>> 0);
  return { code, flags: mandatoryFlag(code), data };
}

/** UTF8String / DiameterIdentity AVP (§4.3). */
export function utf8Avp(code: number, value: string): Avp {
  return { code, flags: mandatoryFlag(code), data: new TextEncoder().encode(value) };
}

/** Grouped AVP (§4.4). */
export function groupedAvp(code: number, avps: readonly Avp[]): Avp {
  return { code, flags: mandatoryFlag(code), data: encodeAvps(avps) };
}

/** Address AVP (§4.3.1): AddressType 1 (IPv4) or 2 (IPv6), then the raw address. */
export function addressAvp(code: number, ip: string): Avp {
  return { code, flags: mandatoryFlag(code), data: encodeAddress(ip) };
}

export function encodeAddress(ip: string): Uint8Array {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (v4) {
    const parts = v4.slice(1).map(Number);
    if (parts.some((p) => p > 255)) throw new TypeError(`Cannot encode address ${JSON.stringify(ip)}: octet above 255`);
    return new Uint8Array([0, 1, ...parts]);
  }
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return encodeAddress(mapped[1]);
  if (!ip.includes(":")) throw new TypeError(`Cannot encode address ${JSON.stringify(ip)}: not an IPv4 or IPv6 literal`);
  const [head, tail] = ip.split("::");
  const h = head ? head.split(":") : [];
  const t = tail !== undefined && tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) {
    throw new TypeError(`Cannot encode address ${JSON.stringify(ip)}: not an IPv6 literal`);
  }
  const out = new Uint8Array(18);
  out[1] = 2;
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 + i * 2] = v >> 8;
    out[3 + i * 2] = v & 0xff;
  });
  return out;
}

export function readU32(avp: Avp, protocol = "diameter"): number {
  if (avp.data.length !== 4) throw new DecodeError(protocol, 0, `Cannot decode Diameter AVP ${avp.code}: Unsigned32 needs 4 octets, got ${avp.data.length}`);
  return new DataView(avp.data.buffer, avp.data.byteOffset, 4).getUint32(0);
}

export function readUtf8(avp: Avp, protocol = "diameter"): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(avp.data);
  } catch (e) {
    throw new DecodeError(protocol, 0, `Cannot decode Diameter AVP ${avp.code}: not valid UTF-8`, { cause: e });
  }
}

export function readAddress(avp: Avp, protocol = "diameter"): string {
  const d = avp.data;
  const type = d.length >= 2 ? (d[0] << 8) | d[1] : -1;
  if (type === 1 && d.length === 6) return `${d[2]}.${d[3]}.${d[4]}.${d[5]}`;
  if (type === 2 && d.length === 18) {
    const g: string[] = [];
    for (let i = 0; i < 8; i++) g.push(((d[2 + i * 2] << 8) | d[3 + i * 2]).toString(16));
    // RFC 5952 §4.2: compress the longest run (≥ 2) of zero groups.
    let best = -1, bestLen = 1;
    for (let i = 0; i < 8;) {
      let j = i;
      while (j < 8 && g[j] === "0") j++;
      if (j - i > bestLen) [best, bestLen] = [i, j - i];
      i = j > i ? j : i + 1;
    }
    if (best < 0) return g.join(":");
    return `${g.slice(0, best).join(":")}::${g.slice(best + bestLen).join(":")}`;
  }
  throw new DecodeError(protocol, 0, `Cannot decode Diameter Address AVP ${avp.code}: AddressType ${type} with ${d.length - 2} octets`);
}
