import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createAdmission } from "./admission.ts";

describe("createAdmission()", () => {
  it("sheds past maxInFlight batches and frees the slot when one leaves", () => {
    const a = createAdmission(2);
    assert.ok(a.tryEnter());
    assert.ok(a.tryEnter());
    assert.equal(a.tryEnter(), false);
    assert.equal(a.shed, 1);
    a.leave(5);
    assert.ok(a.tryEnter());
    assert.equal(a.inFlight, 2);
  });

  it("sheds past maxBytes of bodies in flight, and admits one batch of any size when none is in flight", () => {
    const a = createAdmission(100, 1000);
    assert.ok(a.tryEnter(600));
    assert.equal(a.tryEnter(500), false, "600 + 500 > 1000");
    assert.ok(a.tryEnter(400), "600 + 400 = 1000");
    assert.equal(a.bytesInFlight, 1000);
    assert.equal(a.tryEnter(1), false);
    a.leave(1, 600);
    a.leave(1, 400);
    assert.equal(a.bytesInFlight, 0);
    assert.ok(a.tryEnter(5000), "alone, a body above the budget still goes");
    assert.equal(a.tryEnter(1), false);
    assert.equal(a.shed, 3);
  });

  it("asks for twice the recent service time, whole seconds between 1 and 30", () => {
    const a = createAdmission(1);
    assert.equal(a.retryAfterSeconds(), 1);
    for (let i = 0; i < 200; i++) (a.tryEnter(), a.leave(4000));
    assert.equal(a.retryAfterSeconds(), 8);
    for (let i = 0; i < 200; i++) (a.tryEnter(), a.leave(60_000));
    assert.equal(a.retryAfterSeconds(), 30);
  });

  it("stretches Retry-After while refusals outnumber half the admissions, and relaxes when they stop", () => {
    let t = 0;
    const a = createAdmission(2, Infinity, () => t);
    for (let i = 0; i < 200; i++) (a.tryEnter(), a.leave(400));
    assert.equal(a.retryAfterSeconds(), 1, "2 × 0.4 s, nothing refused");
    // Three seconds of 1.5 refusals per admission: the weighted ratio tends to 1.5, Retry-After to 3 × 0.8 s.
    for (let s = 0; s < 3; s++) {
      t += 1000;
      for (let i = 0; i < 10; i++) {
        assert.ok(a.tryEnter());
        a.tryEnter();
        assert.equal(a.tryEnter(), false);
        assert.equal(a.tryEnter(), false);
        assert.equal(a.tryEnter(), false);
        a.leave(400);
        a.leave(400);
      }
    }
    t += 1000;
    a.tryEnter(), a.leave(400);
    const stretched = a.retryAfterSeconds();
    assert.ok(stretched >= 3 && stretched <= 5, `stretched to ${stretched} s`);
    // A calm stretch (nothing refused; then a quiet gap): back to the service-time wait.
    for (let s = 0; s < 6; s++) {
      t += 1000;
      a.tryEnter(), a.leave(400);
    }
    assert.equal(a.retryAfterSeconds(), 1);
  });

  it("spreads a crowd refused at once over the time the collector needs for it, at its admission rate", () => {
    let t = 0;
    const a = createAdmission(8, Infinity, () => t);
    // 8 batches at once, 10 ms each: 800 admissions a second (Little's law).
    for (let i = 0; i < 200; i++) (a.tryEnter(), a.leave(10));
    for (let i = 0; i < 8; i++) assert.ok(a.tryEnter());
    // 10,000 agents arrive within the same millisecond: each refused one is given its own slot.
    const told = new Map<number, number>();
    for (let i = 0; i < 10_000; i++) {
      assert.equal(a.tryEnter(), false);
      const s = a.retryAfterSeconds();
      told.set(s, (told.get(s) ?? 0) + 1);
    }
    // 10,000 × 1.25 ms = 12.5 s: 800 per second from 1 s to 13 s.
    assert.deepEqual([...told.keys()].sort((x, y) => x - y), Array.from({ length: 13 }, (_, i) => i + 1));
    for (const [s, n] of told) if (s < 13) assert.equal(n, 800, `${n} told ${s} s`);
    // Never more than 30 s ahead, however many come: a larger crowd is told 30 s and books no further.
    for (let i = 0; i < 30_000; i++) a.retryAfterSeconds();
    assert.equal(a.retryAfterSeconds(), 30);
    // The slots pass with time: 40 s later, a refusal is told the service-time wait again.
    t += 40_000;
    assert.equal(a.retryAfterSeconds(), 1);
  });
});
