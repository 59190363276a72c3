import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTokenBuckets } from "./token_bucket.ts";

describe("createTokenBuckets()", () => {
  it("allows a burst of 2N, then N per second, per key", () => {
    let t = 0;
    const b = createTokenBuckets(() => t);
    let ok = 0;
    for (let i = 0; i < 30; i++) if (b.take("a", 10)) ok++;
    assert.equal(ok, 20);
    assert.equal(b.take("b", 10), true, "another key has its own bucket");
    t = 500;
    ok = 0;
    for (let i = 0; i < 30; i++) if (b.take("a", 10)) ok++;
    assert.equal(ok, 5);
  });
  it("keeps at most maxKeys buckets", () => {
    const b = createTokenBuckets(() => 0, 2);
    b.take("a", 1);
    b.take("a", 1);
    assert.equal(b.take("a", 1), false);
    b.take("b", 1);
    b.take("c", 1);
    assert.equal(b.take("a", 1), true, "a's bucket was dropped and starts full");
  });
});
