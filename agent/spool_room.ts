/**
 * @module The spool's drop policy when it is full (pure): whole oldest segments go first, so the
 * newest telemetry survives a long outage (design.md "when it is full the oldest records are
 * dropped"). The current tail is dropped only when it holds records; an empty tail stays.
 */

export interface SegmentSize {
  readonly bytes: number;
  /** Records of this segment not yet acknowledged (what dropping it loses). */
  readonly unsent: number;
}

export interface RoomPlan {
  /** How many segments to delete, from the oldest. */
  readonly drop: number;
  /** The tail is among them: the next append starts a new segment. */
  readonly rotateTail: boolean;
  readonly records: number;
  readonly bytes: number;
}

/**
 * Which oldest segments to delete so that `need` more bytes fit under `maxBytes`.
 * `segments` are oldest first; `tail` is the index of the segment being appended to, or -1.
 * @example planRoom([{ bytes: 900, unsent: 9 }, { bytes: 100, unsent: 1 }], 1000, 50, 1000, 1)
 * // → { drop: 1, rotateTail: false, records: 9, bytes: 900 }
 */
export function planRoom(segments: readonly SegmentSize[], total: number, need: number, maxBytes: number, tail: number): RoomPlan {
  let drop = 0;
  let records = 0;
  let bytes = 0;
  let rotateTail = false;
  while (total - bytes + need > maxBytes && drop < segments.length) {
    const s = segments[drop];
    if (drop === tail) {
      if (s.unsent === 0) break; // an empty tail frees nothing worth losing
      rotateTail = true;
    }
    records += s.unsent;
    bytes += s.bytes;
    drop++;
  }
  return { drop, rotateTail, records, bytes };
}
