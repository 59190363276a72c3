/**
 * @module The spool's segment files: load and repair at open, create, append a frame with every
 * byte accounted for, read a range back. Every write is positional (pwrite), so a failed or short
 * write is cut with ftruncate back to the last good frame and the next write lands right after it.
 */
import * as fs from "node:fs";
import { join } from "node:path";
import type { LogFn } from "../common/log.ts";
import { decodeSegmentHeader, encodeSegmentHeader, parseSegmentName, scanFrames, type SegmentHeader, segmentName } from "./spool_frame.ts";

export interface Segment {
  readonly segNo: number;
  readonly path: string;
  readonly agentId: string;
  readonly bootId: string;
  /** Offsets of every record frame (after the header), and their seqs. */
  readonly offsets: number[];
  readonly seqs: number[];
  /** End of the last good frame: the file may be longer only after a write fault it could not cut. */
  bytes: number;
  fd?: number;
}

export interface LoadedSegments {
  readonly segments: Segment[];
  /** Torn or corrupt tails cut (or found and left when the file could not be truncated). */
  readonly repairedFrames: number;
  readonly repairedBytes: number;
}

const errCode = (e: unknown): string => (e as NodeJS.ErrnoException)?.code ?? String((e as Error)?.message ?? e);

/**
 * Read every segment of `dir`, oldest first. A torn or corrupt tail is cut at the last good frame
 * (logged, never thrown); a tail that cannot be cut (read-only disk) is only ignored, since this
 * boot never appends to an old segment. A segment without a valid header is removed.
 * @throws {Error} "Cannot open spool: …" when `dir` cannot be listed.
 */
export function loadSegments(dir: string, log: LogFn): LoadedSegments {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => parseSegmentName(n) !== undefined).sort();
  } catch (e) {
    throw new Error(`Cannot open spool: cannot list ${dir} (${errCode(e)})`, { cause: e });
  }
  const segments: Segment[] = [];
  let repairedFrames = 0;
  let repairedBytes = 0;
  for (const name of names) {
    const path = join(dir, name);
    let buf: Uint8Array;
    try {
      buf = new Uint8Array(fs.readFileSync(path));
    } catch (e) {
      log("warn", "spool: segment cannot be read; skipped", { path, error: errCode(e) });
      continue;
    }
    const scan = scanFrames(buf);
    const header = decodeSegmentHeader(scan.frames[0]);
    if (!header) {
      log("warn", "spool: segment without a valid header removed", { path, bytes: buf.length });
      try {
        fs.rmSync(path, { force: true });
      } catch (e) {
        log("warn", "spool: cannot remove a segment without a header", { path, error: errCode(e) });
      }
      continue;
    }
    if (scan.why) {
      // A torn tail after SIGKILL or a failed write: keep every whole frame, cut the rest.
      repairedFrames++;
      repairedBytes += buf.length - scan.goodEnd;
      try {
        fs.truncateSync(path, scan.goodEnd);
        log("warn", "spool: cut a torn or corrupt tail", { path, at: scan.goodEnd, cut: buf.length - scan.goodEnd, why: scan.why });
      } catch (e) {
        log("warn", "spool: a torn tail cannot be cut; its whole frames are kept", { path, at: scan.goodEnd, why: scan.why, error: errCode(e) });
      }
    }
    const recs = scan.frames.slice(1);
    segments.push({
      segNo: parseSegmentName(name)!,
      path,
      agentId: header.agentId,
      bootId: header.bootId,
      offsets: recs.map((f) => f.offset),
      seqs: recs.map((f) => f.seq),
      bytes: scan.goodEnd,
    });
  }
  return { segments, repairedFrames, repairedBytes };
}

/** A write the disk refused: `code` is the errno (ENOSPC, EFBIG, EROFS, …) or "short" for a short write. */
export class SpoolWriteError extends Error {
  readonly code: string;
  /** The file still ends at its last good frame (the cut worked). */
  readonly clean: boolean;
  constructor(message: string, code: string, clean: boolean, cause?: unknown) {
    super(message, { cause });
    this.name = "SpoolWriteError";
    this.code = code;
    this.clean = clean;
  }
}

/**
 * Write all of `bytes` at `seg.bytes`. On a failed or short write the file is truncated back to
 * `seg.bytes` and a SpoolWriteError is thrown; `seg` is unchanged either way until success.
 */
export function writeFrame(seg: Segment, bytes: Uint8Array, fsync: boolean): void {
  if (seg.fd === undefined) throw new SpoolWriteError(`Cannot append to spool: ${seg.path} is closed`, "closed", true);
  let done = 0;
  let failure: { code: string; cause?: unknown } | undefined;
  while (done < bytes.length) {
    let n: number;
    try {
      n = fs.writeSync(seg.fd, bytes, done, bytes.length - done, seg.bytes + done);
    } catch (e) {
      failure = { code: errCode(e), cause: e };
      break;
    }
    // write(2) returns fewer bytes than asked at a file-size limit or a full disk; the next call
    // then fails with the reason (EFBIG, ENOSPC). Zero means no progress: stop here.
    if (n <= 0) {
      failure = { code: "short" };
      break;
    }
    done += n;
  }
  if (!failure && fsync) {
    try {
      fs.fsyncSync(seg.fd);
    } catch (e) {
      failure = { code: errCode(e), cause: e };
    }
  }
  if (!failure) return;
  let clean = done === 0;
  if (!clean) {
    try {
      fs.ftruncateSync(seg.fd, seg.bytes);
      clean = true;
    } catch {
      clean = false;
    }
  }
  throw new SpoolWriteError(`Cannot append to spool: ${failure.code} writing ${seg.path} after ${done} of ${bytes.length} bytes`, failure.code, clean, failure.cause);
}

/**
 * Create segment `segNo` in `dir` for a stream and write its header. A half-made file is removed.
 * @throws {SpoolWriteError} when the file cannot be created or its header written.
 */
export function createSegment(dir: string, segNo: number, header: SegmentHeader, fsync: boolean): Segment {
  const path = join(dir, segmentName(segNo));
  let fd: number;
  try {
    fd = fs.openSync(path, "wx+");
  } catch (e) {
    throw new SpoolWriteError(`Cannot start a spool segment: ${errCode(e)} creating ${path}`, errCode(e), true, e);
  }
  const seg: Segment = { segNo, path, agentId: header.agentId, bootId: header.bootId, offsets: [], seqs: [], bytes: 0, fd };
  try {
    writeFrame(seg, encodeSegmentHeader(header), fsync);
  } catch (e) {
    closeSegment(seg);
    try {
      fs.rmSync(path, { force: true });
    } catch { /* the next open removes a segment without a header */ }
    throw e;
  }
  seg.bytes = encodeSegmentHeader(header).length;
  return seg;
}

/** Close the segment's descriptor, if open; errors are ignored (the data is in the page cache). */
export function closeSegment(seg: Segment, fsync = false): void {
  if (seg.fd === undefined) return;
  try {
    if (fsync) fs.fsyncSync(seg.fd);
  } catch { /* reported by the next open's scan, if anything was torn */ }
  try {
    fs.closeSync(seg.fd);
  } catch { /* already closed */ }
  seg.fd = undefined;
}

/** Delete the segment's file. @returns false when it could not be removed (it will be on a later open). */
export function removeSegment(seg: Segment): boolean {
  closeSegment(seg);
  try {
    fs.rmSync(seg.path, { force: true });
    return true;
  } catch {
    return false;
  }
}

/** Read `[start, end)` of the segment's file; fewer bytes when the file is shorter than we think. */
export function readRange(seg: Segment, start: number, end: number): Uint8Array {
  const buf = new Uint8Array(end - start);
  const fd = seg.fd ?? fs.openSync(seg.path, "r");
  try {
    let got = 0;
    while (got < buf.length) {
      const n = fs.readSync(fd, buf, got, buf.length - got, start + got);
      if (n <= 0) break;
      got += n;
    }
    return got === buf.length ? buf : buf.subarray(0, got);
  } finally {
    if (seg.fd === undefined) fs.closeSync(fd);
  }
}
