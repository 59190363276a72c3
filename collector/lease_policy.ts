/**
 * @module How many lease members consume partitions (`store.balance: pack`), and each one's
 * share. Pure: the lease loop (collector/jetstream_leases.ts) passes the members, their reported
 * load and the time in, and keeps the returned state for the next tick. docs/scale-out.md,
 * "Seventh pass".
 *
 * Why pack: a collector process that is busy at all costs about 80 ms of CPU a second on the
 * measured VM beyond its work, one that is idle 11-15 ms (docs/scale-out.md, "Sixth pass"), so at
 * light load the cluster's CPU per record is lowest when the fewest members consume. The members
 * are in a stable order (by id); the first `k` are active. Only the first member (the leader)
 * decides `k` and publishes it in its member entry; the others follow it, so every member computes
 * the same assignment from the same entry (a history-dependent rule run by each member on its own
 * could settle on different `k`s for as long as the load stays between the water marks). Lease
 * compare-and-set already prevents double ownership while views differ for a tick.
 */

/** What one member reports in its `m.<collector>` entry. */
export interface MemberLoad {
  readonly id: string;
  /** Process CPU over its last window, as a fraction of the CPU it may use (0-1, may exceed 1 briefly). */
  readonly cpu: number;
  /** Its consumers fell behind: their pending messages grew over its last two ticks. */
  readonly behind: boolean;
}

export interface PackOptions {
  /** An active member at or above this load (or behind) makes the leader add members at once. @default 0.65 */
  readonly high: number;
  /** The active load must fit into one member fewer under this, continuously for `dwellMs`, to drop one. @default 0.4 */
  readonly low: number;
  /** How long the load must fit under `low`, and how long since the last change, before a member is dropped. @default 30000 */
  readonly dwellMs: number;
}

/**
 * `low` 0.4 rather than 0.35: in one of three runs of the bench at light load (bench/fleet/jetstream.ts,
 * about 0.25 core of work for the whole cluster) two members stayed active through the window
 * after a grow before it, at 0.19 + 0.08 core: too close to 0.35 for a dwell of 2-second
 * readings to pass. 0.4 on k - 1 members still leaves 0.25 below `high` after a drop
 * (docs/scale-out.md, "Seventh pass").
 */
export const PACK_DEFAULTS: PackOptions = { high: 0.65, low: 0.4, dwellMs: 30_000 };

/** The leader's memory between ticks. */
export interface PackState {
  /** Active members: the first `k` of the stable order. */
  readonly k: number;
  /** When `k` last changed (ms). */
  readonly changedAt: number;
  /** Since when the load has fitted into `k - 1` members under `low`, if it does. */
  readonly lowSince?: number;
}

/** The first tick of a member: one active member, "changed" now (so nothing shrinks before a dwell). */
export function initialPack(now: number, k = 1): PackState {
  return { k: Math.max(1, k), changedAt: now };
}

/**
 * The leader's decision for this tick.
 * @param state the previous tick's state
 * @param active the loads of the currently active members (the first `state.k` members that have an entry; may be fewer)
 * @param members how many live members there are (an upper bound for `k`)
 */
export function nextPack(state: PackState, active: readonly MemberLoad[], members: number, now: number, o: PackOptions = PACK_DEFAULTS): PackState {
  const n = Math.max(1, members);
  let k = Math.min(Math.max(1, state.k), n);
  // Members died: the survivors keep the active count they can (no dwell for that).
  const changedAt = k !== state.k ? now : state.changedAt;
  const sum = active.reduce((s, m) => s + Math.max(0, m.cpu), 0);
  const hot = active.some((m) => m.cpu >= o.high || m.behind);
  if (hot && k < n) {
    // Grow at once, to as many as the load needs under the high-water mark, at least one more.
    k = Math.min(n, Math.max(k + 1, Math.ceil(sum / o.high)));
    return { k, changedAt: now };
  }
  const fits = k > 1 && !active.some((m) => m.behind) && active.length >= k && sum / (k - 1) <= o.low;
  if (!fits) return { k, changedAt };
  const lowSince = state.lowSince ?? now;
  if (now - lowSince >= o.dwellMs && now - changedAt >= o.dwellMs) return { k: k - 1, changedAt: now };
  return { k, changedAt, lowSince };
}

/**
 * The share of the member at `index` (stable order) when the first `k` members consume
 * `partitions`: `ceil(partitions / k)` for an active one (as `spread` gives each of `k` members),
 * 0 for the others.
 */
export function packShare(index: number, k: number, partitions: number): number {
  if (index < 0 || index >= k) return 0;
  return Math.ceil(partitions / Math.max(1, k));
}
