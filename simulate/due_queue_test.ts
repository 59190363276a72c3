import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DueQueue } from "./due_queue.ts";
import { seededRandom } from "./rng.ts";

describe("due queue", () => {
  it("pops in due order whatever the push order", () => {
    const r = seededRandom(2);
    const q = new DueQueue();
    const dues = Array.from({ length: 500 }, (_, i) => ({ due: Math.floor(r() * 1000), i }));
    for (const d of dues) q.push(d.due, d.i);
    const out: number[] = [];
    while (q.size) {
      const due = q.peek();
      const i = q.pop();
      assert.equal(dues[i].due, due);
      out.push(due);
    }
    assert.deepEqual(out, [...out].sort((a, b) => a - b));
    assert.equal(q.peek(), Infinity);
  });
});
