import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { abortable, abortReason, sleep } from "./abortable.ts";

/** How many abort listeners a signal holds: EventTarget has no count, so wrap add/remove. */
function counted(signal: AbortSignal): { signal: AbortSignal; listeners: () => number } {
  let n = 0;
  const add = signal.addEventListener.bind(signal), remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((t: string, l: EventListener, o?: AddEventListenerOptions) => (n++, add(t, l, o))) as typeof signal.addEventListener;
  signal.removeEventListener = ((t: string, l: EventListener, o?: EventListenerOptions) => (n--, remove(t, l, o))) as typeof signal.removeEventListener;
  return { signal, listeners: () => n };
}

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
