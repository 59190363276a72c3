/**
 * @module Fixed-rate probe loops (Cloudprober's sched): a per-cycle random jitter, a per-run
 * timeout through AbortSignal, and no overlap: a tick that finds the previous run still going is
 * skipped and counted, so a slow run never stretches the rate and a hanging probe never delays
 * another. The loops share one timer: runs wait in a queue keyed by their due time and one clock
 * timer is armed for the earliest, so the runs of a 10 ms slot start from one wake-up (measured
 * with 1,000 TCP probes a second: a timer per loop cost ~35 µs of CPU per probe more,
 * docs/benchmarks.md "CPU per TCP probe"), and the runs' deadlines wait on that timer too
 * (docs/benchmarks.md "sixth pass"). Where the clock offers a turn of the event loop, the
 * runs of one wake-up start one per turn, so the server on the same thread answers between two
 * runs instead of after the whole slot (docs/benchmarks.md "The probe path, third pass"); with
 * `turnBudgetMs`, as many as fit in that much time share a turn (a turn costs an event-loop
 * iteration: docs/benchmarks.md "The probe path, fifth pass").
 *
 * With `spread`, loops of one interval are phased evenly: each takes the least-used of the
 * interval's phase slots (ties go to the first at or after a stable hash of its name), and its
 * cycles after the first run exactly one interval apart at that phase, with no per-cycle draw
 * (docs/benchmarks.md "The probe path, fourth pass"; docs/config.md `jitter`).
 */
import { type ProbeRun, startProbeRun } from "../probes/run_probe.ts";
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
  /**
   * With `spread`: the loop's phase slot (0-based) of `slots` in its interval; its runs after the
   * first come at this offset of each interval (on the agent's own monotonic clock).
   */
  readonly slot?: number;
  readonly slots?: number;
}

export interface SchedulerOptions {
  readonly clock: Clock;
  /** [0, 1); injectable for deterministic tests. */
  readonly random?: () => number;
  /**
   * Spread the cycles after the first evenly over the interval (a phase slot per loop, the
   * least-used one of its interval), at an exact period: `jitter` then delays only the first
   * run. Without it, every cycle is jittered. @default false
   */
  readonly spread?: boolean;
  /**
   * With `clock.turn`: the runs (and deadlines) waiting for a turn start back to back while the
   * stretch has lasted less than this many ms, then the rest waits for the next turn. 0: one per
   * turn. @default 0
   */
  readonly turnBudgetMs?: number;
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
  /** Offset of cycles after the first inside the interval (from `base`). */
  phase: number;
  /** With `spread`: the phase slot held in `phaseSlots` for this interval. */
  slot?: number;
  cycle: number;
  /** The due time this loop waits under in the queue; undefined when not queued. */
  queuedAt?: number;
  /** Due and waiting for its turn of the event loop (`ready`) since this due time. */
  readyAt?: number;
  /** The run in flight (to abort on remove()); undefined when none is. */
  run?: ProbeRun;
  /** Takes the run's result: made once per loop, not per run. */
  settled: (result: ProbeResult) => void;
  runs: number;
  overruns: number;
  lastLatenessMs: number;
  stopped: boolean;
}

/** A run's deadline on the scheduler's timer; `fn` cleared when the run ended first. */
interface Deadline {
  readonly at: number;
  fn: (() => void) | undefined;
}
interface DeadlineQueue {
  readonly ms: number;
  items: Deadline[];
  head: number;
}

const SPREAD_SLOT_MS = 10;
/** Phase slots per interval: one per 10 ms, at most this many (a 60 s interval: 60 ms slots). */
const MAX_PHASE_SLOTS = 1000;

/** FNV-1a, 32 bits, over the UTF-16 code units: a probe name's preferred phase slot, the same at every start. */
export function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * The least-used slot, the first such at or after `preferred` (circularly): loops added one by
 * one fill every slot once before any slot gets a second, so N loops of one interval are never
 * more than one apart per slot, whatever their names; the hash only decides among equals, so the
 * same configuration gets the same phases at every start.
 */
export function pickSlot(counts: readonly number[], preferred: number): number {
  const n = counts.length;
  let best = preferred % n;
  for (let k = 1; k < n; k++) {
    const i = (preferred + k) % n;
    if (counts[i] < counts[best]) best = i;
  }
  return best;
}

export function createScheduler(options: SchedulerOptions): Scheduler {
  const { clock } = options;
  const random = options.random ?? Math.random;
  const turnBudgetMs = options.turnBudgetMs ?? 0;
  const loops = new Map<string, Loop>();

  // Phase slots in use, per interval (spread only).
  const phaseSlots = new Map<number, number[]>();

  /** Take the phase slot for a loop of its interval; sets `slot` and `phase` (spread only). */
  function takeSlot(loop: Loop) {
    const interval = loop.intervalMs;
    let counts = phaseSlots.get(interval);
    if (!counts) phaseSlots.set(interval, counts = new Array(Math.max(1, Math.min(MAX_PHASE_SLOTS, Math.floor(interval / SPREAD_SLOT_MS)))).fill(0));
    const slot = pickSlot(counts, nameHash(loop.probe.name) % counts.length);
    counts[slot]++;
    loop.slot = slot;
    // The slot's offset on the interval's grid of the clock, as an offset from this loop's base:
    // loops in one slot then fall due in the same wake-up, whenever they were added.
    const at = (slot * interval) / counts.length;
    loop.phase = (((at - loop.base) % interval) + interval) % interval;
  }

  function releaseSlot(loop: Loop) {
    if (loop.slot === undefined) return;
    const counts = phaseSlots.get(loop.intervalMs)!;
    counts[loop.slot]--;
    loop.slot = undefined;
    if (counts.every((c) => c === 0)) phaseSlots.delete(loop.intervalMs);
  }

  function dueAt(loop: Loop): number {
    // With spread, cycles after the first keep their phase exactly (the period is the interval):
    // a draw per cycle would put ~Poisson counts back into the slots the phases evened out.
    const jitterMs = options.spread && loop.cycle > 0 ? 0 : loop.probe.jitter * loop.intervalMs;
    const at = loop.base + loop.cycle * loop.intervalMs + (loop.cycle > 0 ? loop.phase : 0) + (jitterMs ? random() * jitterMs : 0);
    // Spread runs still share 10 ms slots: one event-loop wake-up then starts several probes.
    // Measured with 1,000 TCP probes a second: a wake-up per probe cost ~80 µs of CPU per probe
    // more than batches did (docs/benchmarks.md).
    return options.spread ? Math.ceil(at / SPREAD_SLOT_MS) * SPREAD_SLOT_MS : at;
  }

  // The run queue: loops by due time (ms on the clock's monotonic scale), the due times in order,
  // and the one timer, armed for the earliest.
  const queue = new Map<number, Loop[]>();
  const times: number[] = [];
  let armedAt = Infinity;
  let timer: unknown;
  // Work waiting for a turn of the event loop (only with clock.turn): loops due to start their
  // run, and the deadlines of runs in flight that fell due (runClock).
  const ready: Array<Loop | (() => void)> = [];
  let turning = false;

  // The deadlines of runs in flight live on the scheduler's one timer too, not a runtime timer
  // each: at 1,000 runs a second a `setTimeout` + `clearTimeout` per run was ~5-9 µs of a run's
  // CPU in the binary, whose JavaScript stays in the interpreter (docs/benchmarks.md "sixth
  // pass"). One FIFO per distinct timeout (a handful per config): runs start in clock order, so each FIFO is sorted by
  // due time and a deadline costs a push; a cleared one is only marked and dropped when it
  // reaches the head. Queues empty for a whole pass are deleted (a reload may change timeouts).
  // An array, not a Map's iterator, is walked per run start (arm()).
  const deadlineQueues: DeadlineQueue[] = [];
  function addDeadline(fn: () => void, ms: number): Deadline {
    const d: Deadline = { at: clock.monotonic() + ms, fn };
    let q: DeadlineQueue | undefined;
    for (let i = 0; i < deadlineQueues.length; i++) if (deadlineQueues[i].ms === ms) q = deadlineQueues[i];
    if (!q) deadlineQueues.push(q = { ms, items: [], head: 0 });
    q.items.push(d);
    if (d.at < armedAt) arm();
    return d;
  }
  /** The earliest deadline still armed; cleared ones at the heads are dropped on the way. */
  function firstDeadline(): Deadline | undefined {
    let first: Deadline | undefined;
    for (let i = 0; i < deadlineQueues.length; i++) {
      const q = deadlineQueues[i];
      const items = q.items;
      while (q.head < items.length && !items[q.head].fn) q.head++;
      if (q.head === items.length) {
        deadlineQueues.splice(i--, 1);
        continue;
      }
      // Compact now and then: the cleared entries before the head are garbage.
      if (q.head > 1024 && q.head * 2 > items.length) {
        items.splice(0, q.head);
        q.head = 0;
      }
      const d = items[q.head];
      if (!first || d.at < first.at) first = d;
    }
    return first;
  }
  // A deadline that falls due waits for a turn too, behind the work already waiting: runs that
  // started in one slot time out together (one timer phase), and each abort closes a socket and
  // settles a result (docs/benchmarks.md "The probe path, fourth pass").
  const runClock: Clock = {
    ...clock,
    setTimeout: addDeadline,
    clearTimeout(h) {
      const d = h as Deadline;
      d.fn = undefined;
      // The timer was armed for this one (few runs, or the last ones at a stop): re-armed for
      // what is left, so no wake-up, and no timer holding the process, comes for nothing.
      if (d.at === armedAt) arm();
    },
  };

  function enqueue(loop: Loop, at: number) {
    let list = queue.get(at);
    if (!list) {
      queue.set(at, list = []);
      // Binary search: a queue holds at most a few hundred distinct times (10 ms slots).
      let lo = 0, hi = times.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (times[mid] < at) lo = mid + 1;
        else hi = mid;
      }
      times.splice(lo, 0, at);
    }
    list.push(loop);
    loop.queuedAt = at;
    arm();
  }

  function dequeue(loop: Loop) {
    if (loop.readyAt !== undefined) {
      loop.readyAt = undefined;
      ready.splice(ready.indexOf(loop), 1);
    }
    const at = loop.queuedAt;
    if (at === undefined) return;
    loop.queuedAt = undefined;
    const list = queue.get(at);
    if (!list) return;
    const i = list.indexOf(loop);
    if (i >= 0) list.splice(i, 1);
    if (list.length) return;
    queue.delete(at);
    times.splice(times.indexOf(at), 1);
    arm();
  }

  function arm() {
    const deadline = firstDeadline();
    const first = Math.min(times.length ? times[0] : Infinity, deadline ? deadline.at : Infinity);
    if (first === armedAt) return;
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    armedAt = first;
    if (first === Infinity) return;
    timer = clock.setTimeout(fire, Math.max(0, first - clock.monotonic()));
  }

  function fire() {
    timer = undefined;
    armedAt = Infinity;
    const now = clock.monotonic();
    while (times.length && times[0] <= now) {
      const at = times.shift()!;
      const list = queue.get(at)!;
      queue.delete(at);
      for (const loop of list) {
        loop.queuedAt = undefined;
        if (clock.turn) {
          loop.readyAt = at;
          ready.push(loop);
        } else tick(loop, at);
      }
    }
    // Deadlines due: behind the runs in the turn chain, never in this timer phase (with
    // clock.turn), else at once.
    const runsDue = ready.length > 0 && !turning;
    let due: Array<() => void> | undefined;
    let d: Deadline | undefined;
    while ((d = firstDeadline()) && d.at <= now) {
      const fn = d.fn!;
      d.fn = undefined;
      if (clock.turn) ready.push(fn);
      else (due ??= []).push(fn);
    }
    // A timer may fire a fraction of a ms before the due time it was armed for: armed again.
    arm();
    if (due) for (const fn of due) fn();
    if (runsDue) startReady();
    else turnForRest();
  }

  // One run now (or as many as fit in turnBudgetMs), the rest in the event loop's next turn. A
  // 10 ms slot of 1,000 probes a second holds ~10 runs; started in one stretch they kept a
  // /healthz request that arrived meanwhile waiting for all of them (p99 3.4-5.2x nginx's,
  // docs/benchmarks.md); a turn per run cost 12-47 µs of CPU per run (an event-loop iteration).
  function startReady() {
    turning = false;
    const t0 = turnBudgetMs > 0 ? clock.monotonic() : 0;
    let next: Loop | (() => void) | undefined;
    while ((next = ready.shift())) {
      try {
        if (typeof next === "function") next();
        else {
          const due = next.readyAt!;
          next.readyAt = undefined;
          tick(next, due);
        }
      } catch (e) {
        turnForRest();
        throw e;
      }
      if (ready.length && !(turnBudgetMs > 0 && clock.monotonic() - t0 < turnBudgetMs)) return turnForRest();
    }
  }

  function turnForRest() {
    if (!ready.length || turning) return;
    turning = true;
    clock.turn!(startReady);
  }

  function schedule(loop: Loop) {
    if (loop.stopped) return;
    const now = clock.monotonic();
    // After a stall (suspend, GC), skip to the next cycle in the future rather than bursting.
    const behind = Math.floor((now - loop.base) / loop.intervalMs) - loop.cycle;
    if (behind > 0) loop.cycle += behind;
    let at = dueAt(loop);
    if (at < now - loop.intervalMs) at = now;
    enqueue(loop, at);
  }

  function tick(loop: Loop, due: number) {
    if (loop.stopped) return;
    loop.cycle++;
    schedule(loop);
    if (loop.run) {
      loop.overruns++;
      return;
    }
    const lateness = Math.max(0, clock.monotonic() - due);
    loop.lastLatenessMs = lateness;
    options.onLateness?.(loop.probe.name, lateness);
    loop.run = startProbeRun(loop.probe.instance, loop.probe.timeoutMs, runClock, loop.settled);
  }

  return {
    add(probe) {
      if (loops.has(probe.name)) throw new Error(`Cannot schedule probe "${probe.name}": it is already scheduled`);
      if (!(probe.intervalMs > 0)) throw new RangeError(`Cannot schedule probe "${probe.name}": interval must be positive, got ${probe.intervalMs}`);
      const loop: Loop = {
        probe,
        intervalMs: probe.intervalMs,
        base: clock.monotonic(),
        // Probes added together (start, reload) would otherwise stay in step and run in one burst
        // every interval, holding the event loop that also answers /healthz (measured: 1,000
        // probes in a 100 ms window each second put /healthz p99 at 48-119 ms, docs/benchmarks.md).
        // The first run stays prompt (a verdict within one cycle, docs/health.md); later cycles
        // are spread over the whole interval (takeSlot below).
        phase: 0,
        cycle: 0,
        runs: 0,
        overruns: 0,
        lastLatenessMs: 0,
        stopped: false,
        settled: (result) => {
          loop.runs++;
          loop.run = undefined;
          if (!loop.stopped) options.onResult(probe.name, result);
        },
      };
      if (options.spread) takeSlot(loop);
      loops.set(probe.name, loop);
      schedule(loop);
    },
    async remove(name) {
      const loop = loops.get(name);
      if (!loop) return;
      loops.delete(name);
      loop.stopped = true;
      dequeue(loop);
      releaseSlot(loop);
      const run = loop.run;
      if (!run) return;
      run.abort(new DOMException("probe removed", "AbortError"));
      await run.result;
    },
    setInterval(name, intervalMs) {
      const loop = loops.get(name);
      if (!loop || !(intervalMs > 0) || intervalMs === loop.intervalMs) return;
      dequeue(loop);
      releaseSlot(loop);
      loop.intervalMs = intervalMs;
      loop.base = clock.monotonic();
      if (options.spread) takeSlot(loop);
      loop.cycle = 1;
      schedule(loop);
    },
    has: (name) => loops.has(name),
    stats(name) {
      const l = loops.get(name);
      if (!l) return undefined;
      const stats: LoopStats = { runs: l.runs, overruns: l.overruns, lastLatenessMs: l.lastLatenessMs, running: l.run !== undefined };
      return l.slot === undefined ? stats : { ...stats, slot: l.slot, slots: phaseSlots.get(l.intervalMs)!.length };
    },
    names: () => [...loops.keys()],
    async stop() {
      await Promise.all([...loops.keys()].map((n) => this.remove(n)));
    },
  };
}
