import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { abortable, abortReason, addAbortListener, sleep } from "./abortable.ts";
import { countAbortListeners } from "./abortable_test_kit.ts";

const counted = countAbortListeners;

describe("abortable()", () => {
  it("settles as the promise does and removes its listener", async () => {
    const c = counted(new AbortController().signal);
    assert.equal(await abortable(Promise.resolve(7), c.signal), 7);
    await assert.rejects(abortable(Promise.reject(new Error("boom")), c.signal), /boom/);
    assert.equal(c.listeners(), 0, "no listener left on a long-lived signal");
  });
  it("rejects with the signal's reason on abort and runs onAbort once", async () => {
    const ac = new AbortController();
    let cancelled = 0;
    const p = abortable(new Promise(() => {}), ac.signal, () => cancelled++);
    ac.abort(new Error("stop"));
    await assert.rejects(p, /stop/);
    assert.equal(cancelled, 1);
  });
  it("rejects at once on an aborted signal, with an AbortError when there is no reason", async () => {
    let cancelled = 0;
    await assert.rejects(abortable(Promise.resolve(1), AbortSignal.abort(), () => cancelled++), { name: "AbortError" });
    assert.equal(cancelled, 1);
    assert.equal((abortReason(AbortSignal.abort()) as Error).name, "AbortError");
  });
  it("does not leave the abandoned promise's rejection unhandled", async () => {
    const ac = new AbortController();
    let fail!: (e: Error) => void;
    const p = abortable(new Promise<never>((_, r) => (fail = r)), ac.signal);
    ac.abort();
    await assert.rejects(p);
    fail(new Error("late"));
    await new Promise((r) => setTimeout(r, 10));
  });
});

describe("sleep()", () => {
  it("resolves after the time and removes its listener", async () => {
    const c = counted(new AbortController().signal);
    const t0 = performance.now();
    await sleep(20, c.signal);
    assert.ok(performance.now() - t0 >= 15);
    assert.equal(c.listeners(), 0);
  });
  it("rejects with the reason when the signal aborts first, and clears its timer", async () => {
    const ac = new AbortController();
    const cleared: unknown[] = [];
    const timers = { setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms), clearTimeout: (h: unknown) => (cleared.push(h), clearTimeout(h as number)) };
    const p = sleep(10_000, ac.signal, timers);
    ac.abort(new Error("shutdown"));
    await assert.rejects(p, /shutdown/);
    assert.equal(cleared.length, 1);
    await assert.rejects(sleep(1, AbortSignal.abort()), { name: "AbortError" });
  });
});

describe("addAbortListener()", () => {
  it("runs the function once on abort; the disposer removes the listener", () => {
    const ac = new AbortController();
    const c = counted(ac.signal);
    let ran = 0;
    const off = addAbortListener(c.signal, () => ran++);
    assert.equal(c.listeners(), 1);
    off();
    off();
    ac.abort();
    assert.equal(ran, 0, "a disposed listener never runs");
    const ac2 = new AbortController();
    addAbortListener(ac2.signal, () => ran++);
    ac2.abort();
    ac2.abort();
    assert.equal(ran, 1);
  });
  it("runs at once, before it returns, on a signal that has already aborted", () => {
    let ran = 0;
    const off = addAbortListener(AbortSignal.abort(), () => ran++);
    assert.equal(ran, 1);
    off();
    assert.equal(addAbortListener(undefined, () => ran++)(), undefined);
    assert.equal(ran, 1, "no signal: nothing to listen to");
  });
  it("leaves no listener on a long-lived signal across 10,000 operations", async () => {
    const c = counted(new AbortController().signal);
    for (let i = 0; i < 10_000; i++) {
      const off = addAbortListener(c.signal, () => {});
      off();
      await abortable(Promise.resolve(i), c.signal);
      if (i % 100 === 0) await sleep(0, c.signal);
    }
    assert.equal(c.listeners(), 0);
  });
});

describe("sleep() on a manual clock", () => {
  it("runs on the given timers, also when they fire inside setTimeout", async () => {
    const c = counted(new AbortController().signal);
    const asked: number[] = [];
    const now = { setTimeout: (fn: () => void, ms: number) => (asked.push(ms), fn(), 1), clearTimeout: () => {} };
    await sleep(250, c.signal, now);
    assert.deepEqual(asked, [250]);
    assert.equal(c.listeners(), 0);
  });
});
