/**
 * @module A one-pass check of CBOR bytes before any decoder sees them: the cost of a hostile batch
 * is bounded by its size, whatever it claims.
 *
 * Refused: tags (major type 6, RFC 8949 §3.4): tags 28/29 (shared values) let one small object be
 * referenced thousands of times (a 30 KB batch decoded to 351 MB with cbor-x's defaults), and
 * wire v1 uses none; indefinite lengths (§3.2.2), which wire v1 never writes; nesting deeper than
 * `maxDepth`; a declared length of an array, map or string longer than `maxLength` or than the
 * bytes that remain (each item takes at least one byte, so a 10-byte body cannot make a decoder
 * allocate an array of 2^32 slots); reserved additional-information values 28-30 (§3.1);
 * anything after the one top-level item. Time: one pass, O(bytes). Memory: O(maxDepth).
 */
import { DecodeError } from "../common/decode_error.ts";

export interface CborScanLimits {
  /** Deepest nesting of arrays and maps. */
  readonly maxDepth: number;
  /** Longest array, map (pairs) or string (bytes) declared. */
  readonly maxLength: number;
}

function fail(offset: number, why: string): never {
  throw new DecodeError("telemetry", offset, `Cannot decode telemetry batch: ${why} at byte ${offset}`);
}

/** Bytes that are not CBOR at all (RFC 8949 §5.3.1), as opposed to CBOR that wire v1 refuses. */
function malformed(offset: number, why: string): never {
  throw new DecodeError("telemetry", offset, `Cannot decode telemetry batch: not well-formed CBOR (${why} at byte ${offset})`);
}

/** @throws {DecodeError} naming the first thing that is refused and its offset. */
export function scanCbor(bytes: Uint8Array, limits: CborScanLimits): void {
  const end = bytes.length;
  // Items still expected at each open level (arrays: n, maps: 2n); the top level expects one.
  const pending: number[] = [1];
  let p = 0;
  while (pending.length > 0) {
    if (pending[pending.length - 1] === 0) {
      pending.pop();
      continue;
    }
    pending[pending.length - 1]--;
    if (p >= end) malformed(p, "the CBOR item ends early");
    const start = p;
    const ib = bytes[p++];
    const major = ib >> 5;
    const ai = ib & 31;
    let arg: number;
    if (ai < 24) arg = ai;
    else if (ai === 24) {
      if (p + 1 > end) malformed(start, "the CBOR item ends early");
      arg = bytes[p];
      p += 1;
    } else if (ai === 25) {
      if (p + 2 > end) malformed(start, "the CBOR item ends early");
      arg = (bytes[p] << 8) | bytes[p + 1];
      p += 2;
    } else if (ai === 26) {
      if (p + 4 > end) malformed(start, "the CBOR item ends early");
      arg = ((bytes[p] << 24) >>> 0) + (bytes[p + 1] << 16) + (bytes[p + 2] << 8) + bytes[p + 3];
      p += 4;
    } else if (ai === 27) {
      if (p + 8 > end) malformed(start, "the CBOR item ends early");
      const hi = ((bytes[p] << 24) >>> 0) + (bytes[p + 1] << 16) + (bytes[p + 2] << 8) + bytes[p + 3];
      const lo = ((bytes[p + 4] << 24) >>> 0) + (bytes[p + 5] << 16) + (bytes[p + 6] << 8) + bytes[p + 7];
      arg = hi * 2 ** 32 + lo;
      p += 8;
    } else if (ai === 31) {
      if (major === 7) malformed(start, "a CBOR break outside an indefinite-length item");
      fail(start, "indefinite-length CBOR items are not used by wire v1");
    } else {
      malformed(start, `reserved CBOR additional information ${ai}`);
    }
    switch (major) {
      case 0:
      case 1:
      case 7:
        break;
      case 2:
      case 3:
        if (arg > limits.maxLength) fail(start, `a string of ${arg} bytes exceeds the limit of ${limits.maxLength}`);
        if (arg > end - p) malformed(start, `a string of ${arg} bytes is longer than the ${end - p} bytes left`);
        p += arg;
        break;
      case 4:
      case 5: {
        if (arg > limits.maxLength) fail(start, `${major === 4 ? "an array" : "a map"} of ${arg} items exceeds the limit of ${limits.maxLength}`);
        const items = major === 4 ? arg : arg * 2;
        if (items > end - p) malformed(start, `${major === 4 ? "an array" : "a map"} of ${arg} items is longer than the ${end - p} bytes left`);
        if (pending.length > limits.maxDepth) fail(start, `CBOR nesting deeper than ${limits.maxDepth}`);
        pending.push(items);
        break;
      }
      case 6:
        fail(start, `CBOR tag ${arg} (wire v1 uses no tags)`);
    }
  }
  if (p !== end) malformed(p, `${end - p} bytes after the batch`);
}
