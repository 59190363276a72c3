/**
 * @module Fixed-rate probe loops (Cloudprober's sched): one timer chain per probe, a per-cycle
 * random jitter, a per-run timeout through AbortSignal, and no overlap: a tick that finds the
 * previous run still going is skipped and counted, so a slow run never stretches the rate and a
 * hanging probe never delays another.
 */
import { runProbe } from "../probes/run_probe.ts";
import type { ProbeInstance, ProbeResult } from "../probes/types.ts";
import type { Clock } from "../runtime/types.ts";

export interface ScheduledProbe {
  readonly name: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Fraction of the interval, 0-1: each cycle starts up to this much after its nominal time. */
  readonly jitter: number;
  readonly instance: ProbeInstance;
}

export interface LoopStats {
  readonly runs: number;
  /** Ticks skipped because the previous run was still going. */
  readonly overruns: number;
  /** How late the last run started, after its jittered due time, in ms. */
  readonly lastLatenessMs: number;
  readonly running: boolean;
}

export interface SchedulerOptions {
  readonly clock: Clock;
  /** [0, 1); injectable for deterministic tests. */
  readonly random?: () => number;
  onResult(name: string, result: ProbeResult): void;
  /** Lateness of every run start, for the benchmark. */
  onLateness?(name: string, ms: number): void;
}

export interface Scheduler {
  add(probe: ScheduledProbe): void;
  /** Stop a loop; resolves when its in-flight run has ended (it is aborted). */
  remove(name: string): Promise<void>;
  /** Change a loop's interval from its next cycle (NRF heartBeatTimer adoption). */
  setInterval(name: string, intervalMs: number): void;
  has(name: string): boolean;
  stats(name: string): LoopStats | undefined;
  names(): string[];
  stop(): Promise<void>;
}

interface Loop {
  probe: ScheduledProbe;
  intervalMs: number;
  base: number;
  cycle: number;
  timer: unknown;
  running?: Promise<void>;
  abort: AbortController;
  runs: number;
  overruns: number;
  lastLatenessMs: number;
  stopped: boolean;
}

export function createScheduler(options: SchedulerOptions): Scheduler {
  const { clock } = options;
  const random = options.random ?? Math.random;
  const loops = new Map<string, Loop>();

  function dueAt(loop: Loop): number {
    const jitterMs = loop.probe.jitter * loop.intervalMs;
    return loop.base + loop.cycle * loop.intervalMs + random() * jitterMs;
  }

  function schedule(loop: Loop) {
    if (loop.stopped) return;
    const now = clock.monotonic();
    // After a stall (suspend, GC), skip to the next cycle in the future rather than bursting.
    const behind = Math.floor((now - loop.base) / loop.intervalMs) - loop.cycle;
    if (behind > 0) loop.cycle += behind;
    let at = dueAt(loop);
    if (at < now - loop.intervalMs) at = now;
    loop.timer = clock.setTimeout(() => tick(loop, at), Math.max(0, at - now));
  }

  function tick(loop: Loop, due: number) {
    if (loop.stopped) return;
    loop.cycle++;
    schedule(loop);
    if (loop.running) {
      loop.overruns++;
      return;
    }
    const lateness = Math.max(0, clock.monotonic() - due);
    loop.lastLatenessMs = lateness;
    options.onLateness?.(loop.probe.name, lateness);
    loop.running = runProbe(loop.probe.instance, loop.probe.timeoutMs, clock, loop.abort.signal).then((result) => {
      loop.runs++;
      loop.running = undefined;
      if (!loop.stopped) options.onResult(loop.probe.name, result);
    });
  }

  return {
    add(probe) {
      if (loops.has(probe.name)) throw new Error(`Cannot schedule probe "${probe.name}": it is already scheduled`);
      if (!(probe.intervalMs > 0)) throw new RangeError(`Cannot schedule probe "${probe.name}": interval must be positive, got ${probe.intervalMs}`);
      const loop: Loop = {
        probe,
        intervalMs: probe.intervalMs,
        base: clock.monotonic(),
        cycle: 0,
        timer: undefined,
        abort: new AbortController(),
        runs: 0,
        overruns: 0,
        lastLatenessMs: 0,
        stopped: false,
      };
      loops.set(probe.name, loop);
      schedule(loop);
    },
    async remove(name) {
      const loop = loops.get(name);
      if (!loop) return;
      loops.delete(name);
      loop.stopped = true;
      clock.clearTimeout(loop.timer);
      loop.abort.abort(new DOMException("probe removed", "AbortError"));
      await loop.running;
    },
    setInterval(name, intervalMs) {
      const loop = loops.get(name);
      if (!loop || !(intervalMs > 0) || intervalMs === loop.intervalMs) return;
      clock.clearTimeout(loop.timer);
      loop.intervalMs = intervalMs;
      loop.base = clock.monotonic();
      loop.cycle = 1;
      schedule(loop);
    },
    has: (name) => loops.has(name),
    stats(name) {
      const l = loops.get(name);
      return l && { runs: l.runs, overruns: l.overruns, lastLatenessMs: l.lastLatenessMs, running: Boolean(l.running) };
    },
    names: () => [...loops.keys()],
    async stop() {
      await Promise.all([...loops.keys()].map((n) => this.remove(n)));
    },
  };
}
