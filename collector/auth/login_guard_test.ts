import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createLoginGuard } from "./login_guard.ts";

describe("createLoginGuard()", () => {
  it("lets `concurrent` verifications run and answers 503 beyond, before any hashing", () => {
    const g = createLoginGuard({ concurrent: 2, maxFailures: 10, windowMs: 60_000, maxAddresses: 100, now: () => 0 });
    const a = g.admit("10.0.0.1");
    const b = g.admit("10.0.0.2");
    const c = g.admit("10.0.0.3");
    assert.ok(a.ok && b.ok);
    assert.deepEqual(c.ok ? undefined : [c.status, c.retryAfterS], [503, 1]);
    if (a.ok) a.release(true);
    assert.ok(g.admit("10.0.0.3").ok);
  });
  it("locks an address out after maxFailures within the window, and only that address", () => {
    let t = 0;
    const g = createLoginGuard({ concurrent: 1, maxFailures: 3, windowMs: 60_000, maxAddresses: 100, now: () => t });
    for (let i = 0; i < 3; i++) {
      const a = g.admit("10.0.0.9");
      assert.ok(a.ok);
      a.release(false);
    }
    t = 10_000;
    const locked = g.admit("10.0.0.9");
    assert.deepEqual(locked.ok ? undefined : [locked.status, locked.retryAfterS], [429, 50]);
    const other = g.admit("10.0.0.8");
    assert.ok(other.ok);
    other.release(true);
    t = 60_001;
    assert.ok(g.admit("10.0.0.9").ok, "the window passed");
  });
  it("keeps at most maxAddresses failure entries", () => {
    const g = createLoginGuard({ concurrent: 1, maxFailures: 1, windowMs: 60_000, maxAddresses: 2, now: () => 0 });
    for (const ip of ["10.0.0.1", "10.0.0.2", "10.0.0.3"]) {
      const a = g.admit(ip);
      assert.ok(a.ok);
      a.release(false);
    }
    assert.ok(g.admit("10.0.0.1").ok, "the oldest entry was dropped");
  });
});
