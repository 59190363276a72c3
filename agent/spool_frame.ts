/**
 * @module The spool's frame codec (pure): `u32 length | u32 crc32 | u64 seq | payload`, big-endian,
 * crc32 over seq + payload. Frame seq 0 is a segment header whose payload is JSON
 * `{"v":1,"agentId":…,"bootId":…}` (docs/telemetry.md "Spool").
 */
import { crc32 } from "node:zlib";

export const FRAME_HEAD = 16;
/** A single record larger than this is refused (a bug, not telemetry); a length above it is corruption. */
export const MAX_RECORD_BYTES = 64 * 1024;

export interface ScannedFrame {
  readonly offset: number;
  readonly seq: number;
  readonly payload: Uint8Array;
}

export interface FrameScan {
  readonly frames: ScannedFrame[];
  /** End of the last whole, valid frame: where a torn or corrupt tail is cut. */
  readonly goodEnd: number;
  /** Why the scan stopped before the end of the buffer; undefined when every byte was a good frame. */
  readonly why?: string;
}

/** Encode one frame. */
export function encodeFrame(seq: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEAD + payload.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, payload.length);
  dv.setBigUint64(8, BigInt(seq));
  out.set(payload, FRAME_HEAD);
  dv.setUint32(4, crc32(out.subarray(8)));
  return out;
}

/**
 * Parse frames from `buf` until its end or the first torn or corrupt frame. Never throws; costs
 * one pass over `buf` and no copies (payloads are views into `buf`).
 */
export function scanFrames(buf: Uint8Array): FrameScan {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const frames: ScannedFrame[] = [];
  let off = 0;
  while (off < buf.length) {
    if (buf.length - off < FRAME_HEAD) return { frames, goodEnd: off, why: `torn frame head at ${off}` };
    const len = dv.getUint32(off);
    if (len > MAX_RECORD_BYTES) return { frames, goodEnd: off, why: `frame length ${len} at ${off} is impossible` };
    if (buf.length - off < FRAME_HEAD + len) return { frames, goodEnd: off, why: `torn frame at ${off}` };
    const crc = dv.getUint32(off + 4);
    if (crc32(buf.subarray(off + 8, off + FRAME_HEAD + len)) !== crc) return { frames, goodEnd: off, why: `crc mismatch at ${off}` };
    frames.push({ offset: off, seq: Number(dv.getBigUint64(off + 8)), payload: buf.subarray(off + FRAME_HEAD, off + FRAME_HEAD + len) });
    off += FRAME_HEAD + len;
  }
  return { frames, goodEnd: off };
}

export interface SegmentHeader {
  readonly agentId: string;
  readonly bootId: string;
}

/** The header frame (seq 0) of a segment of one (agentId, bootId) stream. */
export function encodeSegmentHeader(h: SegmentHeader): Uint8Array {
  return encodeFrame(0, new TextEncoder().encode(JSON.stringify({ v: 1, agentId: h.agentId, bootId: h.bootId })));
}

/** The stream identity from a segment's first frame, or undefined when it is not a valid header. */
export function decodeSegmentHeader(first: ScannedFrame | undefined): SegmentHeader | undefined {
  if (!first || first.seq !== 0) return undefined;
  try {
    const h = JSON.parse(new TextDecoder().decode(first.payload)) as Partial<SegmentHeader>;
    return typeof h.agentId === "string" && typeof h.bootId === "string" ? { agentId: h.agentId, bootId: h.bootId } : undefined;
  } catch {
    return undefined;
  }
}

/** `seg-000000000001.log`: zero-padded so a lexical sort is the segment order. */
export const segmentName = (n: number): string => `seg-${String(n).padStart(12, "0")}.log`;

/** The segment number of a file name, or undefined for any other file. */
export function parseSegmentName(name: string): number | undefined {
  return /^seg-\d{12}\.log$/.test(name) ? Number(name.slice(4, 16)) : undefined;
}
