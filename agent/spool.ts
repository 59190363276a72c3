/**
 * @module The agent's bounded on-disk spool: append-only segment files of framed records.
 *
 * Layout in `dir`: `seg-000000000001.log` … segment files (frames: agent/spool_frame.ts; the
 * first frame of a segment names its (agentId, bootId) stream) and `ack.json`, the last record the
 * collector acknowledged (agent/spool_ack.ts).
 *
 * Crash safety: a frame is written whole or cut back (agent/spool_files.ts), so after SIGKILL a
 * segment ends with whole frames or one torn frame; `openSpool` cuts a torn tail at the last good
 * frame, counts it as a drop, and resumes. Power loss needs `fsync: true`.
 *
 * Bound: when an append would pass `maxBytes`, whole oldest segments are deleted
 * (agent/spool_room.ts). Disk faults are drops, never wedges: a write the disk refuses is cut
 * back, the record counted as lost, the next append goes to a new segment, and while the disk
 * keeps refusing, appends pause with a backoff (agent/spool_pause.ts). Every loss reaches
 * `onDrop` once a later append succeeds, so the uplink can report it in a spool-drop record that
 * has room on disk (docs/health.md "Faults").
 */
import * as fs from "node:fs";
import type { LogFn } from "../common/log.ts";
import { type AckPointer, readAckPointer, writeAckPointer } from "./spool_ack.ts";
import { encodeFrame, MAX_RECORD_BYTES, scanFrames } from "./spool_frame.ts";
import { closeSegment, createSegment, loadSegments, readRange, removeSegment, type Segment, SpoolWriteError, writeFrame } from "./spool_files.ts";
import { createWritePause } from "./spool_pause.ts";
import { planRoom } from "./spool_room.ts";
import { createWaiters } from "./spool_waiters.ts";

export { MAX_RECORD_BYTES } from "./spool_frame.ts";

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
  /**
   * Told after an append succeeded while records were lost since the last call (full spool, disk
   * fault, torn tail at open, quarantine), with the records and bytes lost since that call; the
   * cumulative totals are in `stats()`. Not re-entrant: defer appends.
   */
  readonly onDrop?: (records: number, bytes: number) => void;
  /** Time source of the write pause. @default Date.now */
  readonly now?: () => number;
  /** Retry delays while the disk refuses writes. @default 500ms doubling to 30s */
  readonly retry?: { readonly initialMs: number; readonly maxMs: number };
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

export interface SpoolFault {
  /** errno of the last refused write (ENOSPC, EFBIG, EROFS, …) or "short". */
  readonly error: string;
  readonly since: number;
  readonly retryAt: number;
}

export interface SpoolStats {
  /** Bytes on disk in segment files. */
  readonly bytes: number;
  /** Records not yet acknowledged. */
  readonly records: number;
  readonly segments: number;
  /** Records lost for any reason: full spool, disk fault, torn tail, released by the uplink (quarantine). */
  readonly droppedRecords: number;
  readonly droppedBytes: number;
  /** Of droppedRecords: lost because the disk refused a write. */
  readonly faultRecords: number;
  /** Frames cut at open because they were torn or corrupt. */
  readonly repairedFrames: number;
  /** Set while appends are paused because the disk refuses writes. */
  readonly fault?: SpoolFault;
}

export interface Spool {
  /**
   * Append one encoded record to the current stream; returns its seq. Synchronous: it is on disk
   * (page cache) when this returns, or counted as dropped when the disk refused it (the seq is
   * used either way, so the collector sees the gap the spool-drop report accounts for).
   * @throws {RangeError} only for a record above MAX_RECORD_BYTES (a bug, not a fault).
   */
  append(payload: Uint8Array): number;
  /** Up to `maxRecords` unacknowledged records from the head, or undefined when all are acked. */
  peek(maxRecords: number): SpoolBatch | undefined;
  /** The collector holds everything of (bootId) up to seq: release it and persist the pointer. */
  ack(bootId: string, seq: number): void;
  /** The highest seq ever spooled for `bootId` (0 when none): no honest ack can be above it. */
  lastSeq(bootId: string): number;
  /**
   * Count `records` lost without delivery as dropped, for the next report: a quarantined batch
   * (they had seqs), or with `unsequenced` events that never reached a spool, whose seqs are
   * skipped now so the gap the collector sees is the count the report gives.
   */
  countDropped(records: number, bytes: number, unsequenced?: boolean): void;
  /** Resolves when there is an unacknowledged record (at once if there is one), or rejects on abort. */
  waitForRecords(signal: AbortSignal): Promise<void>;
  stats(): SpoolStats;
  close(): void;
}

/**
 * Open (and repair) the spool in `options.dir`, creating it if needed. A read-only directory
 * opens (its records can still be sent); appends then pause as a disk fault.
 * @throws {Error} "Cannot open spool: …" when the directory cannot be created or listed.
 */
export function openSpool(options: SpoolOptions): Spool {
  const log = options.log ?? (() => {});
  const now = options.now ?? Date.now;
  const { dir, maxBytes } = options;
  const fsync = options.fsync ?? false;
  const segmentBytes = Math.max(4096, options.segmentBytes ?? Math.min(4 * 1024 * 1024, Math.floor(maxBytes / 16)));
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new Error(`Cannot open spool: cannot create ${dir} (${(e as NodeJS.ErrnoException).code ?? e})`, { cause: e });
  }
  let ackPtr: AckPointer | undefined = readAckPointer(dir);
  const loaded = loadSegments(dir, log);
  const segments: Segment[] = loaded.segments;
  // A torn tail is at least one record lost; how many more the cut bytes held cannot be known.
  let droppedRecords = loaded.repairedFrames;
  let droppedBytes = loaded.repairedBytes;
  let reported = { records: 0, bytes: 0 };
  let faultRecords = 0;

  // Head: the first unacknowledged record, as (segment index, record index in it).
  let headSeg = 0;
  let headRec = 0;
  let total = segments.reduce((a, s) => a + s.bytes, 0);
  const dropSegment = (i: number) => {
    const [s] = segments.splice(i, 1);
    total -= s.bytes;
    if (!removeSegment(s)) log("warn", "spool: cannot delete a segment; the next open retries", { path: s.path });
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
  const waiters = createWaiters();
  const pause = createWritePause(options.retry);
  let ackWriteFailing = false;
  let readFailing = false;

  const normalizeHead = () => {
    while (headSeg < segments.length && headRec >= segments[headSeg].seqs.length && segments[headSeg] !== tail) {
      // A fully acknowledged, closed segment: delete it.
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

  const rotate = () => {
    if (tail) closeSegment(tail, fsync);
    tail = undefined;
  };

  const startSegment = (): Segment => {
    rotate();
    const s = createSegment(dir, nextSegNo++, { agentId: options.agentId, bootId: options.bootId }, fsync);
    segments.push(s);
    total += s.bytes;
    return s;
  };

  const makeRoom = (need: number) => {
    const tailIdx = tail ? segments.indexOf(tail) : -1;
    const sizes = segments.map((s, i) => ({ bytes: s.bytes, unsent: s.seqs.length - (i === headSeg ? headRec : i < headSeg ? s.seqs.length : 0) }));
    const plan = planRoom(sizes, total, need, maxBytes, tailIdx);
    if (plan.drop === 0) return;
    if (plan.rotateTail) rotate();
    for (let i = 0; i < plan.drop; i++) dropSegment(0);
    if (headSeg >= plan.drop) headSeg -= plan.drop;
    else {
      headSeg = 0;
      headRec = 0;
    }
    if (plan.records > 0) {
      droppedRecords += plan.records;
      droppedBytes += plan.bytes;
      log("warn", "spool: full, dropped the oldest records", { records: plan.records, bytes: plan.bytes, maxBytes });
    }
  };

  /** Write one frame, starting a new segment when needed; throws SpoolWriteError. */
  const write = (f: Uint8Array) => {
    if (!tail || tail.bytes + f.length > segmentBytes) tail = startSegment();
    if (total + f.length > maxBytes) {
      makeRoom(f.length);
      if (!tail) tail = startSegment();
    }
    const t = tail;
    const at = t.bytes;
    // writeFrame cuts a failed write back, so the segment still ends at its last good frame.
    writeFrame(t, f, fsync);
    t.offsets.push(at);
    t.seqs.push(seq);
    t.bytes += f.length;
    total += f.length;
  };

  /** One record lost to a disk fault; `error` undefined while paused (the backoff is not moved). */
  const lose = (bytes: number, error?: string) => {
    droppedRecords++;
    droppedBytes += bytes;
    faultRecords++;
    if (error === undefined) return;
    const wasPaused = pause.state() !== undefined;
    pause.failed(now(), error);
    // One line per fault episode, not per record.
    if (!wasPaused) log("error", "spool: the disk refuses writes; records are counted as dropped until it takes them again", { event: "spool-fault", dir, error });
  };

  const spool: Spool = {
    append(payload) {
      if (payload.length > MAX_RECORD_BYTES) throw new RangeError(`Cannot append to spool: record of ${payload.length} bytes exceeds ${MAX_RECORD_BYTES}`);
      const f = encodeFrame(++seq, payload);
      if (pause.blocked(now())) {
        lose(f.length);
        return seq;
      }
      try {
        try {
          write(f);
        } catch (e) {
          if (!(e instanceof SpoolWriteError)) throw e;
          // A file-size limit (EFBIG) or a cut that failed: a fresh segment may still take it.
          if (tail && tail.seqs.length > 0) {
            rotate();
            write(f);
          } else throw e;
        }
      } catch (e) {
        if (!(e instanceof SpoolWriteError)) throw e;
        rotate();
        lose(f.length, e.code);
        return seq;
      }
      if (pause.succeeded()) log("info", "spool: the disk takes writes again", { event: "spool-fault-cleared", dir, droppedRecords });
      waiters.wake();
      if (droppedRecords > reported.records) {
        const delta = { records: droppedRecords - reported.records, bytes: droppedBytes - reported.bytes };
        reported = { records: droppedRecords, bytes: droppedBytes };
        options.onDrop?.(delta.records, delta.bytes);
      }
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
          let buf: Uint8Array;
          try {
            buf = readRange(s, start, end);
            readFailing = false;
          } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            if (code !== "ENOENT") {
              // Not gone, only unreadable now (EIO, ENOTDIR, EACCES): the records stay and the
              // uplink asks again at its next batch interval.
              if (!readFailing) log("error", "spool: cannot read a segment; will retry", { event: "spool-read-fault", path: s.path, error: code ?? String(e) });
              readFailing = true;
              break;
            }
            buf = new Uint8Array(); // the file is gone: its records are a drop
          }
          const scan = scanFrames(buf);
          for (const f of scan.frames) out.push({ seq: f.seq, payload: f.payload });
          if (scan.frames.length < n) {
            // The file changed under us (cut or overwritten from outside): what is gone is a drop,
            // never a wedge. Forget the segment's unreadable records and go on after them.
            const good = ri + scan.frames.length;
            const lost = s.seqs.length - good;
            droppedRecords += lost;
            droppedBytes += s.bytes - (s.offsets[good] ?? s.bytes);
            log("error", "spool: a segment is shorter or other than written; its unreadable records are dropped", { path: s.path, records: lost, why: scan.why ?? "short read" });
            s.offsets.length = good;
            s.seqs.length = good;
            if (s === tail) rotate();
            if (out.length === 0) return spool.peek(maxRecords);
            break;
          }
          expect = out[out.length - 1].seq + 1;
          ri += n;
        }
        if (ri >= s.seqs.length) {
          si++;
          ri = 0;
        }
      }
      return out.length ? { agentId: first.agentId, bootId: first.bootId, records: out } : undefined;
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
        dropSegment(headSeg);
        headRec = 0;
      }
      if (!changed) return;
      ackPtr = changed;
      try {
        writeAckPointer(dir, changed);
        if (ackWriteFailing) log("info", "spool: the ack pointer is persisted again", { dir });
        ackWriteFailing = false;
      } catch (e) {
        // In memory the head moved; after a restart the collector dedups what is resent.
        if (!ackWriteFailing) log("warn", "spool: cannot persist the ack pointer; a restart will resend acknowledged records", { error: (e as Error).message });
        ackWriteFailing = true;
      }
    },

    lastSeq(bootId) {
      if (bootId === options.bootId) return seq;
      for (let i = segments.length - 1; i >= 0; i--) {
        const s = segments[i];
        if (s.bootId === bootId && s.seqs.length > 0) return s.seqs[s.seqs.length - 1];
      }
      return ackPtr?.bootId === bootId ? ackPtr.seq : 0;
    },

    countDropped(records, bytes, unsequenced = false) {
      if (unsequenced) seq += records;
      droppedRecords += records;
      droppedBytes += bytes;
    },

    waitForRecords(signal) {
      if (unacked() > 0) return Promise.resolve();
      return waiters.wait(signal);
    },

    stats() {
      const p = pause.state();
      return {
        bytes: total,
        records: unacked(),
        segments: segments.length,
        droppedRecords,
        droppedBytes,
        faultRecords,
        repairedFrames: loaded.repairedFrames,
        ...(p ? { fault: { error: p.error, since: p.since, retryAt: p.retryAt } } : {}),
      };
    },

    close() {
      for (const s of segments) closeSegment(s, fsync);
      tail = undefined;
    },
  };
  return spool;
}
