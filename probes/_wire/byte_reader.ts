/** @module A bounds-checked big-endian reader that throws DecodeError, never RangeError. */
import { DecodeError } from "../errors.ts";

export class ByteReader {
  readonly bytes: Uint8Array;
  readonly protocol: string;
  offset: number;
  readonly end: number;
  constructor(bytes: Uint8Array, protocol: string, offset = 0, end = bytes.length) {
    this.bytes = bytes;
    this.protocol = protocol;
    this.offset = offset;
    this.end = end;
  }
  get remaining(): number {
    return this.end - this.offset;
  }
  need(n: number, what: string): void {
    if (n > this.remaining) {
      throw new DecodeError(this.protocol, this.offset, `Cannot decode ${this.protocol} ${what}: needs ${n} bytes, ${this.remaining} remain`);
    }
  }
  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.offset++];
  }
  u16(what: string): number {
    this.need(2, what);
    const v = (this.bytes[this.offset] << 8) | this.bytes[this.offset + 1];
    this.offset += 2;
    return v;
  }
  u24(what: string): number {
    this.need(3, what);
    const b = this.bytes, o = this.offset;
    this.offset += 3;
    return (b[o] << 16) | (b[o + 1] << 8) | b[o + 2];
  }
  u32(what: string): number {
    this.need(4, what);
    const b = this.bytes, o = this.offset;
    this.offset += 4;
    return ((b[o] << 24) >>> 0) + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);
  }
  slice(n: number, what: string): Uint8Array {
    this.need(n, what);
    const s = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return s;
  }
  /** A reader over the next n bytes; advances this one past them. */
  sub(n: number, what: string): ByteReader {
    this.need(n, what);
    const r = new ByteReader(this.bytes, this.protocol, this.offset, this.offset + n);
    this.offset += n;
    return r;
  }
}
