import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createWaiters } from "./spool_waiters.ts";
import { countAbortListeners } from "../common/abortable_test_kit.ts";

describe("createWaiters()", () => {
  it("wake() resolves every waiter once and forgets them", async () => {
    const w = createWaiters();
    const ac = new AbortController();
    const a = w.wait(ac.signal);
    const b = w.wait(ac.signal);
    assert.equal(w.size, 2);
    w.wake();
    await Promise.all([a, b]);
    assert.equal(w.size, 0);
    w.wake(); // nothing waits: no effect
  });

  it("leaves no abort listener on a long-lived signal across 10,000 waits", async () => {
    const w = createWaiters();
    const long = countAbortListeners(new AbortController().signal);
    for (let i = 0; i < 10_000; i++) {
      const p = w.wait(long.signal);
      w.wake();
      await p;
    }
    assert.equal(long.listeners(), 0);
    assert.equal(w.size, 0);
  });

  it("an abort rejects with the reason and removes the waiter; an aborted signal rejects at once", async () => {
    const w = createWaiters();
    const ac = new AbortController();
    const p = w.wait(ac.signal);
    ac.abort(new Error("stop"));
    await assert.rejects(p, /stop/);
    assert.equal(w.size, 0);
    await assert.rejects(w.wait(ac.signal), /stop/);
    assert.equal(w.size, 0);
  });
});
