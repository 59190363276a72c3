import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createScheduler } from "./scheduler.ts";
import { createManualClock } from "../runtime/manual_clock.ts";
import type { ProbeInstance, ProbeOutcome } from "../probes/types.ts";

const instant = (clock: { monotonic(): number }, starts: number[]): ProbeInstance => ({
  run: () => {
    starts.push(clock.monotonic());
    return Promise.resolve({ ok: true });
  },
  close: () => Promise.resolve(),
});

describe("createScheduler()", () => {
  it("runs at a fixed rate", async () => {
    const clock = createManualClock();
    const starts: number[] = [];
    const s = createScheduler({ clock, random: () => 0, onResult: () => {} });
    s.add({ name: "a", intervalMs: 1000, timeoutMs: 500, jitter: 0, instance: instant(clock, starts) });
    await clock.advance(5000);
    assert.deepEqual(starts, [0, 1000, 2000, 3000, 4000, 5000]);
    await s.stop();
  });

  it("applies a per-cycle jitter inside its bound", async () => {
    const clock = createManualClock();
    const starts: number[] = [];
    let r = 0;
    const seq = [0.5, 0.9, 0.1, 0.0];
    const s = createScheduler({ clock, random: () => seq[r++ % seq.length], onResult: () => {} });
    s.add({ name: "a", intervalMs: 1000, timeoutMs: 500, jitter: 0.1, instance: instant(clock, starts) });
    await clock.advance(3500);
    assert.deepEqual(starts, [50, 1090, 2010, 3000]);
    await s.stop();
  });

  it("never overlaps a run with its predecessor and counts skipped ticks", async () => {
    const clock = createManualClock();
    let release!: () => void;
    let started = 0;
    const slow: ProbeInstance = {
      run: () => {
        started++;
        return new Promise<ProbeOutcome>((res) => (release = () => res({ ok: true })));
      },
      close: () => Promise.resolve(),
    };
    const results: string[] = [];
    const s = createScheduler({ clock, random: () => 0, onResult: (n) => results.push(n) });
    s.add({ name: "slow", intervalMs: 1000, timeoutMs: 60_000, jitter: 0, instance: slow });
    await clock.advance(3500);
    assert.equal(started, 1);
    assert.equal(s.stats("slow")!.overruns, 3);
    release();
    await clock.advance(1000);
    assert.equal(started, 2);
    assert.deepEqual(results, ["slow"]);
    await s.stop();
  });

  it("keeps other probes on time while one hangs", async () => {
    const clock = createManualClock();
    const starts: number[] = [];
    const hang: ProbeInstance = { run: () => new Promise(() => {}), close: () => Promise.resolve() };
    const results: string[] = [];
    const s = createScheduler({ clock, random: () => 0, onResult: (n) => results.push(n) });
    s.add({ name: "hang", intervalMs: 1000, timeoutMs: 60_000, jitter: 0, instance: hang });
    s.add({ name: "fast", intervalMs: 1000, timeoutMs: 500, jitter: 0, instance: instant(clock, starts) });
    await clock.advance(4000);
    assert.deepEqual(starts, [0, 1000, 2000, 3000, 4000]);
    assert.equal(results.filter((n) => n === "fast").length, 5);
    await s.stop();
  });

  it("remove() aborts the in-flight run", async () => {
    const clock = createManualClock();
    let aborted = false;
    const p: ProbeInstance = {
      run: (signal) =>
        new Promise((_, rej) =>
          signal.addEventListener("abort", () => {
            aborted = true;
            rej(signal.reason);
          })
        ),
      close: () => Promise.resolve(),
    };
    const s = createScheduler({ clock, random: () => 0, onResult: () => {} });
    s.add({ name: "p", intervalMs: 1000, timeoutMs: 60_000, jitter: 0, instance: p });
    await clock.advance(10);
    await s.remove("p");
    assert.equal(aborted, true);
    assert.equal(s.has("p"), false);
  });

  it("setInterval() changes the rate from the next cycle", async () => {
    const clock = createManualClock();
    const starts: number[] = [];
    const s = createScheduler({ clock, random: () => 0, onResult: () => {} });
    s.add({ name: "a", intervalMs: 1000, timeoutMs: 500, jitter: 0, instance: instant(clock, starts) });
    await clock.advance(1500);
    s.setInterval("a", 300);
    await clock.advance(1000);
    assert.deepEqual(starts, [0, 1000, 1800, 2100, 2400]);
    await s.stop();
  });

  it("spread: keeps the first run prompt and spreads later cycles over the interval", async () => {
    const clock = createManualClock();
    const starts: Record<string, number[]> = { a: [], b: [] };
    const draws = [0.25, 0, 0.75]; // a: phase, a: first jitter draw, b: phase; then 0
    let r = 0;
    const s = createScheduler({ clock, random: () => draws[r++] ?? 0, spread: true, onResult: () => {} });
    s.add({ name: "a", intervalMs: 1000, timeoutMs: 500, jitter: 0, instance: instant(clock, starts.a) });
    s.add({ name: "b", intervalMs: 1000, timeoutMs: 500, jitter: 0, instance: instant(clock, starts.b) });
    await clock.advance(3000);
    assert.deepEqual(starts.a, [0, 1250, 2250]);
    assert.deepEqual(starts.b, [0, 1750, 2750]);
    await s.stop();
  });

  it("loops due in the same slot share one timer; remove() and stop() leave none armed", async () => {
    const clock = createManualClock();
    let armed = 0, set = 0;
    const counting = {
      ...clock,
      setTimeout(fn: () => void, ms: number) {
        armed++, set++;
        const h = clock.setTimeout(() => (armed--, fn()), ms);
        return h;
      },
      clearTimeout(h: unknown) {
        armed--;
        clock.clearTimeout(h);
      },
    };
    const starts: number[] = [];
    const s = createScheduler({ clock: counting, random: () => 0, spread: true, onResult: () => {} });
    for (let i = 0; i < 100; i++) s.add({ name: `p${i}`, intervalMs: 1000, timeoutMs: 500, jitter: 0, instance: instant(clock, starts) });
    await clock.advance(2000);
    assert.equal(starts.length, 300, "100 loops, 3 cycles each");
    // One timer per distinct due time (0, 1000, 2000 and the next), not one per loop and cycle.
    assert.ok(set <= 6, `timers set: ${set}`);
    assert.equal(armed, 1);
    await s.remove("p0");
    assert.equal(armed, 1, "other loops are still queued");
    await s.stop();
    assert.equal(armed, 0);
  });
  describe("with a turn of the event loop (clock.turn)", () => {
    // The turns are queued here and run by the test, one at a time, like the event loop would.
    function turningClock() {
      const clock = createManualClock();
      const turns: Array<() => void> = [];
      return { clock: { ...clock, turn: (fn: () => void) => void turns.push(fn) }, advance: clock.advance, turns, manual: clock };
    }

    it("starts the runs of one wake-up one per turn, in due order", async () => {
      const { clock, advance, turns, manual } = turningClock();
      const starts: string[] = [];
      const s = createScheduler({ clock, random: () => 0, onResult: () => {} });
      for (const name of ["a", "b", "c"]) {
        s.add({ name, intervalMs: 1000, timeoutMs: 500, jitter: 0, instance: { run: () => (starts.push(name), Promise.resolve({ ok: true })), close: () => Promise.resolve() } });
      }
      await advance(0);
      assert.deepEqual(starts, ["a"], "the first run starts from the timer itself");
      assert.equal(turns.length, 1, "one turn asked for at a time");
      turns.shift()!();
      assert.deepEqual(starts, ["a", "b"]);
      turns.shift()!();
      assert.deepEqual(starts, ["a", "b", "c"]);
      assert.equal(turns.length, 0);
      await advance(1000);
      assert.deepEqual(starts, ["a", "b", "c", "a"]);
      while (turns.length) turns.shift()!();
      assert.deepEqual(starts, ["a", "b", "c", "a", "b", "c"]);
      assert.equal(s.stats("c")!.runs, 1, "the second cycle's result is not in yet");
      await manual.advance(0);
      assert.equal(s.stats("c")!.runs, 2);
      await s.stop();
    });

    it("a loop removed or rescheduled while waiting for its turn does not start, nor start twice", async () => {
      const { clock, advance, turns } = turningClock();
      const starts: string[] = [];
      const s = createScheduler({ clock, random: () => 0, onResult: () => {} });
      for (const name of ["a", "b", "c"]) {
        s.add({ name, intervalMs: 1000, timeoutMs: 500, jitter: 0, instance: { run: () => (starts.push(name), Promise.resolve({ ok: true })), close: () => Promise.resolve() } });
      }
      await advance(0);
      while (turns.length) turns.shift()!();
      starts.length = 0;
      await advance(1000);
      assert.deepEqual(starts, ["a"]);
      await s.remove("b");
      s.setInterval("c", 300);
      while (turns.length) turns.shift()!();
      assert.deepEqual(starts, ["a"], "b is gone, c waits for its new due time");
      await advance(300);
      while (turns.length) turns.shift()!();
      assert.deepEqual(starts, ["a", "c"]);
      assert.deepEqual(s.names(), ["a", "c"]);
      await s.stop();
    });
  });
});
