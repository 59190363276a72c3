/**
 * @module The agent's bounded on-disk spool: append-only segment files of framed records.
 *
 * Layout in `dir`:
 * - `seg-000000000001.log` … segment files. Frame = `u32 length | u32 crc32 | u64 seq | payload`
 *   (big-endian; crc32 over seq + payload). The first frame of a segment has seq 0 and a JSON
 *   payload `{"v":1,"agentId":…,"bootId":…}`: a segment holds one (agentId, bootId) stream.
 * - `ack.json`: `{segNo, bootId, seq}`, the last record the collector acknowledged, written by
 *   write-to-temp + rename so it is either the old or the new pointer, never torn.
 *
 * Crash safety: appends are written with one write(2) each, so after SIGKILL a segment ends with
 * whole frames or one torn frame. `openSpool` scans every segment, cuts a torn or corrupt tail at
 * the last good frame (logged, never thrown) and resumes. Power loss needs `fsync: true`.
 *
 * Bound: when an append would pass `maxBytes`, whole oldest segments are deleted; their unsent
 * records are counted (`stats().droppedRecords`) and `onDrop` is told so the uplink can append a
 * spool-drop record.
 */
import * as fs from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import type { LogFn } from "../common/log.ts";

const FRAME_HEAD = 16;
/** A single record larger than this is refused (a bug, not telemetry). */
export const MAX_RECORD_BYTES = 64 * 1024;

export interface SpoolOptions {
  readonly dir: string;
  readonly maxBytes: number;
  /** @default min(4MiB, maxBytes/16) */
  readonly segmentBytes?: number;
  /** @default false */
  readonly fsync?: boolean;
  /** Stream identity of records appended from now on. */
  readonly agentId: string;
  readonly bootId: string;
  readonly log?: LogFn;
  /** Called after oldest segments were dropped to make room (not re-entrant: defer appends). */
  readonly onDrop?: (records: number, bytes: number) => void;
}

export interface SpooledRecord {
  readonly seq: number;
  readonly payload: Uint8Array;
}

/** Records read from the head of the spool: one stream, contiguous seqs. */
export interface SpoolBatch {
  readonly agentId: string;
  readonly bootId: string;
  readonly records: readonly SpooledRecord[];
}

export interface SpoolStats {
  /** Bytes on disk in segment files. */
  readonly bytes: number;
  /** Records not yet acknowledged. */
  readonly records: number;
  readonly segments: number;
  readonly droppedRecords: number;
  readonly droppedBytes: number;
  /** Frames cut at open because they were torn or corrupt. */
  readonly repairedFrames: number;
}

interface Segment {
  readonly segNo: number;
  readonly path: string;
  readonly agentId: string;
  readonly bootId: string;
  /** Offsets of every record frame (after the header), and their seqs. */
  readonly offsets: number[];
  readonly seqs: number[];
  bytes: number;
  fd?: number;
}

export interface Spool {
  /** Append one encoded record to the current stream; returns its seq. Synchronous: it is on disk (page cache) when this returns. */
  append(payload: Uint8Array): number;
  /** Up to `maxRecords` unacknowledged records from the head, or undefined when all are acked. */
  peek(maxRecords: number): SpoolBatch | undefined;
  /** The collector holds everything of (bootId) up to seq: release it and persist the pointer. */
  ack(bootId: string, seq: number): void;
  /** Resolves when there is an unacknowledged record (at once if there is one), or rejects on abort. */
  waitForRecords(signal: AbortSignal): Promise<void>;
  stats(): SpoolStats;
  close(): void;
}

const segName = (n: number) => `seg-${String(n).padStart(12, "0")}.log`;

function frame(seq: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEAD + payload.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, payload.length);
  dv.setBigUint64(8, BigInt(seq));
  out.set(payload, FRAME_HEAD);
  dv.setUint32(4, crc32(out.subarray(8)));
  return out;
}

interface Scan {
  frames: { offset: number; seq: number; payload: Uint8Array }[];
  goodEnd: number;
  why?: string;
}

/** Parse frames from `buf` until the end or the first torn or corrupt frame. */
function scanFrames(buf: Uint8Array): Scan {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const frames: Scan["frames"] = [];
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

interface AckPointer {
  segNo: number;
  bootId: string;
  seq: number;
}

/**
 * Open (and repair) the spool in `options.dir`, creating it if needed.
 * @throws {Error} "Cannot open spool: …" when the directory cannot be created or read.
 */
export function openSpool(options: SpoolOptions): Spool {
  const log = options.log ?? (() => {});
  const dir = options.dir;
  const maxBytes = options.maxBytes;
  const segmentBytes = Math.max(4096, options.segmentBytes ?? Math.min(4 * 1024 * 1024, Math.floor(maxBytes / 16)));
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new Error(`Cannot open spool: cannot create ${dir}`, { cause: e });
  }
  const ackPath = join(dir, "ack.json");
  let ackPtr: AckPointer | undefined;
  try {
    ackPtr = JSON.parse(fs.readFileSync(ackPath, "utf8")) as AckPointer;
  } catch {
    ackPtr = undefined;
  }

  const segments: Segment[] = [];
  let repairedFrames = 0;
  let droppedRecords = 0;
  let droppedBytes = 0;
  const names = fs.readdirSync(dir).filter((n) => /^seg-\d{12}\.log$/.test(n)).sort();
  for (const name of names) {
    const path = join(dir, name);
    const segNo = Number(name.slice(4, 16));
    const buf = new Uint8Array(fs.readFileSync(path));
    const scan = scanFrames(buf);
    let header: { agentId: string; bootId: string } | undefined;
    try {
      const h = scan.frames[0];
      if (h && h.seq === 0) header = JSON.parse(new TextDecoder().decode(h.payload));
    } catch {
      header = undefined;
    }
    if (!header || typeof header.agentId !== "string" || typeof header.bootId !== "string") {
      log("warn", "spool: segment without a valid header removed", { path, bytes: buf.length });
      fs.rmSync(path, { force: true });
      continue;
    }
    if (scan.why) {
      // A torn tail after SIGKILL: keep every whole frame, cut the rest.
      repairedFrames++;
      log("warn", "spool: cut a torn or corrupt tail", { path, at: scan.goodEnd, cut: buf.length - scan.goodEnd, why: scan.why });
      fs.truncateSync(path, scan.goodEnd);
    }
    const recs = scan.frames.slice(1);
    segments.push({ segNo, path, agentId: header.agentId, bootId: header.bootId, offsets: recs.map((f) => f.offset), seqs: recs.map((f) => f.seq), bytes: scan.goodEnd });
  }

  // Head: the first unacknowledged record, as (segment index, record index in it).
  let headSeg = 0;
  let headRec = 0;
  const dropSegment = (i: number) => {
    const s = segments[i];
    if (s.fd !== undefined) fs.closeSync(s.fd);
    fs.rmSync(s.path, { force: true });
    segments.splice(i, 1);
  };
  if (ackPtr) {
    // Segments before the acked one are fully acknowledged; delete them.
    while (segments.length > 0 && segments[0].segNo < ackPtr.segNo) dropSegment(0);
    if (segments.length > 0 && segments[0].segNo === ackPtr.segNo && segments[0].bootId === ackPtr.bootId) {
      const idx = segments[0].seqs.findIndex((s) => s > ackPtr!.seq);
      headRec = idx < 0 ? segments[0].seqs.length : idx;
    }
  }
  let nextSegNo = (segments.length > 0 ? segments[segments.length - 1].segNo : ackPtr?.segNo ?? 0) + 1;
  let tail: Segment | undefined; // the segment of this boot, opened lazily on the first append
  let seq = 0;
  let total = segments.reduce((a, s) => a + s.bytes, 0);
  const waiters = new Set<() => void>();

  const normalizeHead = () => {
    while (headSeg < segments.length && headRec >= segments[headSeg].seqs.length && segments[headSeg] !== tail) {
      // A fully acknowledged, closed segment: delete it.
      total -= segments[headSeg].bytes;
      dropSegment(headSeg);
      headRec = 0;
    }
  };
  normalizeHead();

  const unacked = (): number => {
    let n = 0;
    for (let i = headSeg; i < segments.length; i++) n += segments[i].seqs.length - (i === headSeg ? headRec : 0);
    return n;
  };

  const startSegment = (): Segment => {
    if (tail?.fd !== undefined) {
      fs.closeSync(tail.fd);
      tail.fd = undefined;
    }
    const segNo = nextSegNo++;
    const path = join(dir, segName(segNo));
    const fd = fs.openSync(path, "wx+");
    const head = frame(0, new TextEncoder().encode(JSON.stringify({ v: 1, agentId: options.agentId, bootId: options.bootId })));
    fs.writeSync(fd, head);
    const s: Segment = { segNo, path, agentId: options.agentId, bootId: options.bootId, offsets: [], seqs: [], bytes: head.length, fd };
    segments.push(s);
    total += head.length;
    return s;
  };

  const makeRoom = (need: number) => {
    let recs = 0;
    let bytes = 0;
    while (total + need > maxBytes && segments.length > 0) {
      if (segments[0] === tail) {
        if (tail.seqs.length === 0) break;
        tail = undefined; // rotate so the oldest can go; a new tail starts below
        if (segments[0].fd !== undefined) {
          fs.closeSync(segments[0].fd);
          segments[0].fd = undefined;
        }
      }
      const s = segments[0];
      const unsent = headSeg === 0 ? s.seqs.length - headRec : s.seqs.length;
      recs += unsent;
      bytes += s.bytes;
      total -= s.bytes;
      dropSegment(0);
      if (headSeg > 0) headSeg--;
      else headRec = 0;
    }
    if (recs > 0) {
      droppedRecords += recs;
      droppedBytes += bytes;
      log("warn", "spool: full, dropped the oldest records", { records: recs, bytes, maxBytes });
      options.onDrop?.(recs, bytes);
    }
  };

  return {
    append(payload) {
      if (payload.length > MAX_RECORD_BYTES) throw new RangeError(`Cannot append to spool: record of ${payload.length} bytes exceeds ${MAX_RECORD_BYTES}`);
      const f = frame(++seq, payload);
      if (!tail || tail.bytes + f.length > segmentBytes) tail = startSegment();
      if (total + f.length > maxBytes) {
        makeRoom(f.length);
        if (!tail) tail = startSegment();
      }
      fs.writeSync(tail.fd!, f);
      if (options.fsync) fs.fsyncSync(tail.fd!);
      tail.offsets.push(tail.bytes);
      tail.seqs.push(seq);
      tail.bytes += f.length;
      total += f.length;
      for (const w of waiters) w();
      waiters.clear();
      return seq;
    },

    peek(maxRecords) {
      normalizeHead();
      if (headSeg >= segments.length) return undefined;
      const first = segments[headSeg];
      if (headRec >= first.seqs.length) return undefined;
      const out: SpooledRecord[] = [];
      let si = headSeg;
      let ri = headRec;
      let expect = first.seqs[ri];
      while (out.length < maxRecords && si < segments.length) {
        const s = segments[si];
        if (s.bootId !== first.bootId || s.agentId !== first.agentId) break;
        if (ri < s.seqs.length) {
          if (s.seqs[ri] !== expect) break;
          const n = Math.min(s.seqs.length - ri, maxRecords - out.length);
          const start = s.offsets[ri];
          const end = ri + n < s.offsets.length ? s.offsets[ri + n] : s.bytes;
          const buf = new Uint8Array(end - start);
          const fd = s.fd ?? fs.openSync(s.path, "r");
          try {
            fs.readSync(fd, buf, 0, buf.length, start);
          } finally {
            if (s.fd === undefined) fs.closeSync(fd);
          }
          const scan = scanFrames(buf);
          if (scan.why) throw new Error(`Cannot read spool: ${s.path} changed under us (${scan.why})`);
          for (const f of scan.frames) out.push({ seq: f.seq, payload: f.payload });
          expect = out[out.length - 1].seq + 1;
          ri += n;
        }
        if (ri >= s.seqs.length) {
          si++;
          ri = 0;
        }
      }
      return { agentId: first.agentId, bootId: first.bootId, records: out };
    },

    ack(bootId, ackSeq) {
      let changed: AckPointer | undefined;
      while (headSeg < segments.length) {
        const s = segments[headSeg];
        if (s.bootId !== bootId) break;
        while (headRec < s.seqs.length && s.seqs[headRec] <= ackSeq) {
          changed = { segNo: s.segNo, bootId, seq: s.seqs[headRec] };
          headRec++;
        }
        if (headRec < s.seqs.length || s === tail) break;
        total -= s.bytes;
        dropSegment(headSeg);
        headRec = 0;
      }
      if (changed) {
        ackPtr = changed;
        const tmp = `${ackPath}.tmp`;
        fs.writeFileSync(tmp, JSON.stringify(changed));
        fs.renameSync(tmp, ackPath);
      }
    },

    waitForRecords(signal) {
      if (unacked() > 0) return Promise.resolve();
      return new Promise((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason);
        const done = () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        };
        const onAbort = () => {
          waiters.delete(done);
          reject(signal.reason);
        };
        waiters.add(done);
        signal.addEventListener("abort", onAbort, { once: true });
      });
    },

    stats() {
      return { bytes: total, records: unacked(), segments: segments.length, droppedRecords, droppedBytes, repairedFrames };
    },

    close() {
      for (const s of segments) {
        if (s.fd !== undefined) {
          if (options.fsync) fs.fsyncSync(s.fd);
          fs.closeSync(s.fd);
          s.fd = undefined;
        }
      }
      tail = undefined;
    },
  };
}
