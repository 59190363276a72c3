/** @module A manual clock for deterministic tests of timer-driven code. */
import type { Clock } from "./types.ts";

export interface ManualClock extends Clock {
  /** Move time forward, firing due timers in order; awaits microtasks between timers. */
  advance(ms: number): Promise<void>;
}

export function createManualClock(start = 1_700_000_000_000): ManualClock {
  let t = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const flush = () => new Promise<void>((r) => setTimeout(r, 0));
  return {
    now: () => start + t,
    monotonic: () => t,
    setTimeout(fn, ms) {
      const id = ++seq;
      timers.set(id, { at: t + Math.max(0, ms), fn });
      return id;
    },
    clearTimeout(h) {
      timers.delete(h as number);
    },
    async advance(ms) {
      const end = t + ms;
      for (;;) {
        await flush();
        let next: [number, { at: number; fn: () => void }] | undefined;
        for (const e of timers) if (e[1].at <= end && (!next || e[1].at < next[1].at || (e[1].at === next[1].at && e[0] < next[0]))) next = e;
        if (!next) break;
        timers.delete(next[0]);
        t = next[1].at;
        next[1].fn();
      }
      t = end;
      await flush();
    },
  };
}
