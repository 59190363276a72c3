/**
 * @module Which records of a batch are new, and what a sequence jump may do to a stream.
 *
 * An agent sends from the head of its spool, so a batch that starts past `acked + 1` means the
 * records in between are gone: its spool dropped them when full, and says so with a cumulative
 * spool-drop record appended at the tail (agent/uplink.ts), which therefore usually arrives
 * *after* the jump. A jump is accepted as a gap only as far as the stream's spool-drop reports
 * account for it; the rest stays a **hole**: seqs in it are still accepted when they arrive
 * (stored once, acknowledged up to the last one), until later spool-drop reports account for it.
 *
 * That takes the sting out of ack poisoning: one batch with `baseSeq` 2^40 under a victim's
 * (agentId, bootId) used to make every later record of the victim a "duplicate"; now those
 * records fill the hole and are stored. One hole per stream: a second unaccounted jump replaces
 * it (what was left of the first counts as a gap).
 */
import type { TelemetryRecord } from "../telemetry/record.ts";

export interface SeqHole {
  readonly from: number;
  readonly to: number;
}

/** The sequence state of one (agentId, bootId) stream. */
export interface StreamSeq {
  /** Highest seq stored (the stream's ack). */
  readonly acked: number;
  /** Highest cumulative spool-drop count the agent reported. */
  readonly drops: number;
  /** Seqs skipped so far as gaps (accounted by `drops`). */
  readonly gaps: number;
  readonly hole?: SeqHole;
}

export interface SeqAdmission {
  readonly fresh: readonly TelemetryRecord[];
  readonly duplicates: number;
  /** Seqs newly counted as gaps (accounted for by spool drops). */
  readonly gap: number;
  /** The ack to answer: the stream's ack, or the last seq of a batch that filled the hole. */
  readonly ack: number;
  /** True when this batch made a jump that no spool-drop report accounts for (counted). */
  readonly unaccountedJump: boolean;
  readonly next: StreamSeq;
}

/** Close as much of the hole as the reported drops account for (oldest seqs first). */
function settle(s: { drops: number; gaps: number; hole?: SeqHole }): { gaps: number; hole?: SeqHole; settled: number } {
  if (!s.hole) return { gaps: s.gaps, settled: 0 };
  const credit = s.drops - s.gaps;
  const size = s.hole.to - s.hole.from + 1;
  if (credit <= 0) return { gaps: s.gaps, hole: s.hole, settled: 0 };
  if (credit >= size) return { gaps: s.gaps + size, settled: size };
  return { gaps: s.gaps + credit, hole: { from: s.hole.from + credit, to: s.hole.to }, settled: credit };
}

/** Split a batch into new records and duplicates, and move the stream's state. Pure. */
export function admitSeqs(records: readonly TelemetryRecord[], s: StreamSeq): SeqAdmission {
  let drops = s.drops;
  for (const r of records) if (r.type === "spool-drop" && r.records > drops) drops = r.records;
  const hole = s.hole;
  // A batch inside the hole: its records are new (they never arrived), up to the hole's end.
  if (hole && records.length > 0 && records[0].seq >= hole.from && records[0].seq <= hole.to) {
    const fresh = records.filter((r) => r.seq <= hole.to);
    const last = fresh[fresh.length - 1].seq;
    // Seqs of the hole before this batch are gone for good: a gap.
    const skipped = fresh[0].seq - hole.from;
    const rest: SeqHole | undefined = last < hole.to ? { from: last + 1, to: hole.to } : undefined;
    const st = settle({ drops, gaps: s.gaps + skipped, hole: rest });
    return {
      fresh,
      duplicates: records.length - fresh.length,
      gap: skipped + st.settled,
      ack: last,
      unaccountedJump: false,
      next: { acked: s.acked, drops, gaps: st.gaps, ...(st.hole ? { hole: st.hole } : {}) },
    };
  }
  let i = 0;
  while (i < records.length && records[i].seq <= s.acked) i++;
  const fresh = records.slice(i);
  if (fresh.length === 0) {
    const st = settle({ drops, gaps: s.gaps, hole });
    // A replay below an open hole (its answer was lost): the highest contiguous seq the sender
    // has is the seq before the hole, not the jumped-to ack it never sent.
    const ack = hole && records[records.length - 1].seq < hole.from ? hole.from - 1 : s.acked;
    return { fresh, duplicates: i, gap: st.settled, ack, unaccountedJump: false, next: { acked: s.acked, drops, gaps: st.gaps, ...(st.hole ? { hole: st.hole } : {}) } };
  }
  const jump = fresh[0].seq - s.acked - 1;
  let gaps = s.gaps;
  let gap = 0;
  let next: SeqHole | undefined = hole;
  let unaccountedJump = false;
  if (jump > 0) {
    // A new jump: what is left of an older hole is given up (counted as a gap).
    if (hole) {
      gaps += hole.to - hole.from + 1;
      gap += hole.to - hole.from + 1;
      next = undefined;
    }
    const credit = Math.max(0, drops - gaps);
    const accounted = Math.min(jump, credit);
    gaps += accounted;
    gap += accounted;
    if (accounted < jump) {
      next = { from: s.acked + 1 + accounted, to: fresh[0].seq - 1 };
      unaccountedJump = true;
    }
  }
  const st = settle({ drops, gaps, hole: next });
  return {
    fresh,
    duplicates: i,
    gap: gap + st.settled,
    ack: fresh[fresh.length - 1].seq,
    unaccountedJump,
    next: { acked: fresh[fresh.length - 1].seq, drops, gaps: st.gaps, ...(st.hole ? { hole: st.hole } : {}) },
  };
}
