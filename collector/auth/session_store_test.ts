import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createSessionStore } from "./session_store.ts";

describe("createSessionStore()", () => {
  const setup = (max = 3) => {
    let t = 1_000_000;
    const s = createSessionStore({ idleMs: 60_000, maxAgeMs: 600_000, maxSessions: max, now: () => t });
    return { s, advance: (ms: number) => void (t += ms) };
  };
  it("issues 256-bit base64url ids and finds their session", () => {
    const { s } = setup();
    const id = s.create("alice", "viewer");
    assert.match(id, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual({ user: s.get(id)?.user, role: s.get(id)?.role }, { user: "alice", role: "viewer" });
    assert.equal(s.get(id.slice(0, 42) + (id[42] === "A" ? "B" : "A")), undefined);
    assert.equal(s.get("not-an-id"), undefined);
  });
  it("ends a session after the idle time, and after the absolute lifetime even when used", () => {
    const { s, advance } = setup();
    const idle = s.create("alice", "viewer");
    const busy = s.create("bob", "operator");
    advance(59_000);
    assert.ok(s.get(busy));
    advance(2_000);
    assert.equal(s.get(idle), undefined, "61 s without use > idle 60 s");
    for (let i = 0; i < 12; i++) {
      advance(50_000);
      s.get(busy);
    }
    assert.equal(s.get(busy), undefined, "661 s after login > maxAge 600 s");
  });
  it("holds at most maxSessions, dropping the least recently used", () => {
    const { s } = setup(3);
    const ids = ["a", "b", "c"].map((u) => s.create(u, "viewer"));
    s.get(ids[0]);
    const d = s.create("d", "viewer");
    assert.equal(s.size(), 3);
    assert.equal(s.get(ids[1]), undefined, "b was the least recently used");
    assert.ok(s.get(ids[0]) && s.get(ids[2]) && s.get(d));
  });
  it("retain() and delete() end sessions", () => {
    const { s } = setup();
    const a = s.create("alice", "viewer");
    const b = s.create("bob", "viewer");
    assert.equal(s.retain((u) => u !== "bob"), 1);
    assert.equal(s.get(b), undefined);
    s.delete(a);
    assert.equal(s.get(a), undefined);
    assert.equal(s.size(), 0);
  });
});
