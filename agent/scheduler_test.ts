import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createScheduler, nameHash, pickSlot } from "./scheduler.ts";
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

  it("keeps the deadlines of runs in flight on its one timer, and leaves none armed after a stop", async () => {
    const manual = createManualClock();
    const live = new Set<unknown>();
    const clock = {
      ...manual,
      setTimeout: (fn: () => void, ms: number) => {
        const h = manual.setTimeout(() => (live.delete(h), fn()), ms);
        live.add(h);
        return h;
      },
      clearTimeout: (h: unknown) => (live.delete(h), manual.clearTimeout(h)),
    };
    const hanging: ProbeInstance = {
      run: (signal) => new Promise<ProbeOutcome>((_, reject) => signal.addEventListener("abort", () => reject(signal.reason))),
      close: () => Promise.resolve(),
    };
    const results: string[] = [];
    const s = createScheduler({ clock, random: () => 0, onResult: (n, r) => results.push(`${n}:${r.failure?.kind}`) });
    for (let i = 0; i < 20; i++) s.add({ name: `p${i}`, intervalMs: 1000, timeoutMs: i % 2 ? 300 : 400, jitter: 0, instance: hanging });
    await manual.advance(0);
    assert.equal(live.size, 1, "20 runs in flight, one timer");
    await manual.advance(300);
    assert.equal(results.length, 10, "the 300 ms deadlines fell due");
    assert.ok(results.every((r) => r.endsWith(":timeout")));
    await manual.advance(100);
    assert.equal(results.length, 20, "then the 400 ms ones");
    assert.equal(live.size, 1, "armed for the next cycle only");
    await manual.advance(600);
    await s.stop();
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(live.size, 0, "no timer left once every run has ended");
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

  it("spread: keeps the first run prompt, then runs each loop at its own phase, exactly one interval apart", async () => {
    const clock = createManualClock();
    const starts: Record<string, number[]> = { a: [], b: [] };
    const s = createScheduler({ clock, random: () => 0.5, spread: true, onResult: () => {} });
    s.add({ name: "a", intervalMs: 1000, timeoutMs: 500, jitter: 0.1, instance: instant(clock, starts.a) });
    s.add({ name: "b", intervalMs: 1000, timeoutMs: 500, jitter: 0.1, instance: instant(clock, starts.b) });
    await clock.advance(4000);
    const slotA = s.stats("a")!.slot!, slotB = s.stats("b")!.slot!;
    assert.equal(s.stats("a")!.slots, 100, "a 1 s interval has 100 phase slots of 10 ms");
    assert.equal(slotA, nameHash("a") % 100, "the first loop takes the slot its name hashes to");
    assert.notEqual(slotA, slotB);
    // The first run within the jitter (50 ms: 0.5 of 10 % of 1 s), then the slot's offset of
    // each following interval, with no per-cycle draw.
    assert.deepEqual(starts.a, [50, 1000 + slotA * 10, 2000 + slotA * 10, 3000 + slotA * 10]);
    assert.deepEqual(starts.b, [50, 1000 + slotB * 10, 2000 + slotB * 10, 3000 + slotB * 10]);
    await s.stop();
  });

  it("spread: phases loops of one interval evenly, whatever their names, and reuses freed slots", async () => {
    const clock = createManualClock();
    const starts: number[] = [];
    const s = createScheduler({ clock, random: () => 0, spread: true, onResult: () => {} });
    // 1,000 loops of 1 s added over 1.5 s (as a reload would): 10 runs in every 10 ms slot.
    for (let i = 0; i < 1000; i++) {
      if (i % 100 === 0) await clock.advance(150);
      s.add({ name: `gnb-${i}`, intervalMs: 1000, timeoutMs: 500, jitter: 0.1, instance: instant(clock, starts) });
    }
    await clock.advance(3000);
    starts.length = 0;
    await clock.advance(1000);
    const perSlot = new Map<number, number>();
    for (const t of starts) perSlot.set(t, (perSlot.get(t) ?? 0) + 1);
    assert.equal(starts.length, 1000);
    assert.equal(perSlot.size, 100, "every slot of the second is used");
    assert.deepEqual([...new Set(perSlot.values())], [10], "each holds 10 runs");
    const slots = new Map<number, number>();
    for (let i = 0; i < 1000; i++) slots.set(s.stats(`gnb-${i}`)!.slot!, (slots.get(s.stats(`gnb-${i}`)!.slot!) ?? 0) + 1);
    assert.deepEqual([...new Set(slots.values())], [10]);
    // A removed loop's slot is the least used one: the next loop of that interval takes it.
    const freed = s.stats("gnb-7")!.slot!;
    await s.remove("gnb-7");
    s.add({ name: "gnb-new", intervalMs: 1000, timeoutMs: 500, jitter: 0.1, instance: instant(clock, []) });
    assert.equal(s.stats("gnb-new")!.slot, freed);
    await s.stop();
  });

  it("spread: the same probes get the same phases at every start", () => {
    const clock = createManualClock();
    const slotsOf = () => {
      const s = createScheduler({ clock, random: Math.random, spread: true, onResult: () => {} });
      for (const name of ["amf-n2", "smf-n4", "upf-n3", "nrf", "pcf"]) s.add({ name, intervalMs: 5000, timeoutMs: 500, jitter: 0.1, instance: instant(clock, []) });
      const slots = s.names().map((n) => s.stats(n)!.slot);
      void s.stop();
      return slots;
    };
    assert.deepEqual(slotsOf(), slotsOf());
    assert.deepEqual(pickSlot([1, 0, 1, 0], 2), 3, "the first least-used slot at or after the preferred one");
    assert.deepEqual(pickSlot([1, 0, 1, 1], 2), 1, "circularly");
  });

  it("loops due in the same slot share one timer; remove() and stop() leave none armed", async () => {
    const clock = createManualClock();
    let armed = 0, set = 0;
    // The runs' own deadlines (777 ms, none of the scheduler's wake-ups) go through the clock
    // too; they are not counted here.
    const deadlines = new Set<unknown>();
    const counting = {
      ...clock,
      setTimeout(fn: () => void, ms: number) {
        if (ms === 777) {
          const h = clock.setTimeout(fn, ms);
          deadlines.add(h);
          return h;
        }
        armed++, set++;
        const h = clock.setTimeout(() => (armed--, fn()), ms);
        return h;
      },
      clearTimeout(h: unknown) {
        if (!deadlines.delete(h)) armed--;
        clock.clearTimeout(h);
      },
    };
    const starts: number[] = [];
    const s = createScheduler({ clock: counting, random: () => 0, spread: true, onResult: () => {} });
    for (let i = 0; i < 300; i++) s.add({ name: `p${i}`, intervalMs: 1000, timeoutMs: 777, jitter: 0, instance: instant(clock, starts) });
    await clock.advance(2000);
    // The first runs at 0, the second cycle at the 100 slots of [1000, 2000), 3 loops each, and
    // the third cycle of slot 0 at 2000.
    assert.equal(starts.length, 300 + 300 + 3);
    // About one timer per distinct due time (0, the 100 slots, 2000 and the next: 103, plus a
    // few re-arms), not one per loop and cycle (603).
    assert.ok(set <= 120, `timers set: ${set}`);
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

    it("runs whose deadlines fall due together are aborted one per turn, in order", async () => {
      const { clock, advance, turns } = turningClock();
      const results: string[] = [];
      const aborted: string[] = [];
      const hanging = (name: string): ProbeInstance => ({
        run: (signal) => new Promise<ProbeOutcome>((_, reject) => signal.addEventListener("abort", () => (aborted.push(name), reject(signal.reason)))),
        close: () => Promise.resolve(),
      });
      const s = createScheduler({ clock, random: () => 0, onResult: (name, r) => results.push(`${name}:${r.failure?.kind}`) });
      for (const name of ["a", "b", "c"]) s.add({ name, intervalMs: 1000, timeoutMs: 300, jitter: 0, instance: hanging(name) });
      await advance(0);
      while (turns.length) turns.shift()!();
      await advance(300);
      assert.deepEqual(aborted, [], "the three deadlines fell due in one timer phase: none aborts there");
      assert.equal(turns.length, 1, "one turn asked for");
      turns.shift()!();
      assert.deepEqual(aborted, ["a"]);
      turns.shift()!();
      assert.deepEqual(aborted, ["a", "b"]);
      turns.shift()!();
      assert.deepEqual(aborted, ["a", "b", "c"]);
      assert.equal(turns.length, 0);
      await new Promise((r) => setTimeout(r, 5));
      assert.deepEqual(results, ["a:timeout", "b:timeout", "c:timeout"]);
      await s.stop();
    });

    it("with turnBudgetMs, the runs that fit in the budget start back to back, the rest in the next turn", async () => {
      const { clock, advance, turns } = turningClock();
      // Each start takes 0.04 ms of the clock: a 0.1 ms budget fits three (0.04, 0.08, then 0.12 is over).
      let spent = 0;
      const timed = { ...clock, monotonic: () => clock.monotonic() + spent };
      const starts: string[] = [];
      const s = createScheduler({ clock: timed, random: () => 0, turnBudgetMs: 0.1, onResult: () => {} });
      for (const name of ["a", "b", "c", "d", "e"]) {
        s.add({ name, intervalMs: 1000, timeoutMs: 500, jitter: 0, instance: { run: () => (starts.push(name), spent += 0.04, Promise.resolve({ ok: true })), close: () => Promise.resolve() } });
      }
      await advance(0);
      assert.deepEqual(starts, ["a", "b", "c"], "three fit in the timer's stretch");
      assert.equal(turns.length, 1, "one turn asked for the rest");
      turns.shift()!();
      assert.deepEqual(starts, ["a", "b", "c", "d", "e"]);
      assert.equal(turns.length, 0, "nothing left: no turn asked for");
      await advance(0);
      assert.deepEqual(["a", "b", "c", "d", "e"].map((n) => s.stats(n)!.runs), [1, 1, 1, 1, 1]);
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
