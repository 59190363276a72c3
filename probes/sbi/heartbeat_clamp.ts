/**
 * @module The probe interval adopted from an NRF's heartBeatTimer (TS 29.510 §5.2.2.3.2), clamped to
 * a documented range (docs/sbi-etcd.md "heartBeatTimer"). TS 29.510 §6.1.6.2.2 types it as a plain
 * integer of seconds with no upper bound, and 2,147,484 s or more overflows a timer (2^31-1 ms), which
 * Bun then fires after 1 ms: a peer could make the probe spin. Pure.
 */

/** Seconds: at least 1 s (no NRF asks for more than one heartbeat a second), at most 1 h. */
export const HEARTBEAT_TIMER_RANGE_S = { min: 1, max: 3600 } as const;

export interface AdoptedInterval {
  /** The interval to run at, in ms, inside the range. */
  readonly intervalMs: number;
  /** True when the NRF's value was outside the range. */
  readonly clamped: boolean;
}

export function adoptHeartbeatTimer(seconds: number): AdoptedInterval {
  const s = Math.min(HEARTBEAT_TIMER_RANGE_S.max, Math.max(HEARTBEAT_TIMER_RANGE_S.min, seconds));
  return { intervalMs: s * 1000, clamped: s !== seconds };
}
