/** @module Event-loop lag: how late a 100 ms ticker fires (what /livez and metrics report). */
import type { Clock } from "../runtime/types.ts";

export interface LoopLagMonitor {
  /** Worst lag seen over the last second, in ms. */
  lagMs(): number;
  stop(): void;
}

export function monitorLoopLag(clock: Clock, periodMs = 100): LoopLagMonitor {
  let last = clock.monotonic();
  let worst = 0;
  let window: number[] = [];
  let timer: unknown;
  const tick = () => {
    const now = clock.monotonic();
    const lag = Math.max(0, now - last - periodMs);
    last = now;
    window.push(lag);
    if (window.length > Math.max(1, Math.round(1000 / periodMs))) window.shift();
    worst = Math.max(...window);
    timer = clock.setTimeout(tick, periodMs);
    (timer as { unref?: () => void }).unref?.();
  };
  timer = clock.setTimeout(tick, periodMs);
  (timer as { unref?: () => void }).unref?.();
  return {
    lagMs: () => Math.max(worst, clock.monotonic() - last - periodMs),
    stop: () => {
      clock.clearTimeout(timer);
      window = [];
    },
  };
}
