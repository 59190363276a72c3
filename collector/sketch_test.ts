import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { addDense, addDenseAt, addValue, bucketIndex, denseToSketch, mergeDense, deserializeSketch, mergeInto, mergeIntoDense, mergeSerializedInto, newDenseSketch, newSketch, quantile, quantiles, RELATIVE_ERROR, serializeDense, serializeSketch } from "./sketch.ts";

const exact = (sorted: number[], q: number) => sorted[Math.floor(q * (sorted.length - 1))];
const within = (est: number, truth: number) => truth === 0 ? est === 0 : Math.abs(est - truth) / truth <= RELATIVE_ERROR + 1e-12;

/** A deterministic pseudo-random generator (mulberry32) so the test is repeatable. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("latency sketch", () => {
  it("answers p50/p90/p99 within 1% of the raw samples, over merged minutes and nodes", () => {
    const r = rng(42);
    const all: number[] = [];
    const merged = newSketch();
    // 3 nodes × 10 minutes, log-normal-ish latencies from 200 µs to ~2 s, some zeros.
    for (let node = 0; node < 3; node++) {
      for (let minute = 0; minute < 10; minute++) {
        const s = newSketch();
        for (let i = 0; i < 500; i++) {
          const v = r() < 0.01 ? 0 : Math.round(200 * Math.exp(r() * 9 * (node + 1) / 3));
          all.push(v);
          addValue(s, v);
        }
        mergeInto(merged, deserializeSketch(serializeSketch(s)));
      }
    }
    all.sort((a, b) => a - b);
    assert.equal(merged.count, all.length);
    for (const q of [0, 0.01, 0.5, 0.9, 0.99, 0.999, 1]) {
      const est = quantile(merged, q)!;
      assert.ok(within(est, exact(all, q)), `q=${q}: estimate ${est} vs exact ${exact(all, q)}`);
    }
  });

  it("keeps the error bound for any sample set (property)", () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 60_000_000 }), { minLength: 1, maxLength: 300 }), fc.double({ min: 0, max: 1, noNaN: true }), (xs, q) => {
      const s = newSketch();
      for (const x of xs) addValue(s, x);
      const sorted = [...xs].sort((a, b) => a - b);
      assert.ok(within(quantile(s, q)!, exact(sorted, q)));
    }), { numRuns: 500 });
  });

  it("quantile() of an empty sketch is undefined and deserializeSketch() rejects odd bytes", () => {
    assert.equal(quantile(newSketch(), 0.5), undefined);
    assert.throws(() => deserializeSketch(new Uint8Array(5)), RangeError);
  });

  it("quantiles() in one pass keep the error bound for every q (property)", () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 60_000_000 }), { minLength: 1, maxLength: 300 }), (xs) => {
      const s = newSketch();
      for (const x of xs) addValue(s, x);
      const sorted = [...xs].sort((a, b) => a - b);
      const qs = [0, 0.1, 0.5, 0.9, 0.99, 1];
      quantiles(s, qs).forEach((est, k) => assert.ok(within(est!, exact(sorted, qs[k])), `q=${qs[k]}`));
    }), { numRuns: 300 });
    assert.deepEqual(quantiles(newSketch(), [0.5, 0.9]), [undefined, undefined]);
  });

  it("mergeSerializedInto() adds what mergeInto() of the deserialized sketch adds, at any byte offset", () => {
    const a = newSketch(), b = newSketch();
    for (let i = 0; i < 500; i++) addValue(a, (i * 7919) % 20_000);
    for (let i = 0; i < 300; i++) addValue(b, i % 3 === 0 ? 0 : i * 13);
    const bytes = serializeSketch(b);
    const odd = new Uint8Array(bytes.length + 1);
    odd.set(bytes, 1);
    for (const view of [bytes, odd.subarray(1)]) {
      const x = deserializeSketch(serializeSketch(a)), y = deserializeSketch(serializeSketch(a));
      mergeInto(x, deserializeSketch(bytes));
      mergeSerializedInto(y, view);
      assert.deepEqual([y.zero, y.count, [...y.buckets].sort((p, q) => p[0] - q[0])], [x.zero, x.count, [...x.buckets].sort((p, q) => p[0] - q[0])]);
    }
    assert.throws(() => mergeSerializedInto(newSketch(), new Uint8Array(6)), RangeError);
  });

  it("a dense sketch holds the same histogram as a Map sketch, growing either way (property)", () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2 ** 40 })), { minLength: 0, maxLength: 200 }), fc.array(fc.integer({ min: 1, max: 10_000 }), { maxLength: 20 }), (xs, seed) => {
      const s = newSketch(), d = newDenseSketch();
      for (const x of xs) (addValue(s, x), addDense(d, x));
      // A stored aggregate merged in, as a slot loaded from its row.
      const stored = newSketch();
      for (const x of seed) addValue(stored, x);
      mergeInto(s, stored);
      mergeIntoDense(d, stored);
      const back = denseToSketch(d);
      assert.equal(back.count, s.count);
      assert.equal(back.zero, s.zero);
      assert.deepEqual(new Map([...back.buckets].sort((a, b) => a[0] - b[0])), new Map([...s.buckets].sort((a, b) => a[0] - b[0])));
      // The same bytes as serializeSketch (the row format), written word by word.
      assert.deepEqual(serializeDense(d), serializeSketch(back));
      const bytes = deserializeSketch(serializeDense(d));
      assert.deepEqual([bytes.count, bytes.zero, bytes.buckets.size], [s.count, s.zero, s.buckets.size]);
      for (const [i, c] of s.buckets) assert.equal(bytes.buckets.get(i), c);
    }), { numRuns: 300 });
  });

  it("a dense sketch's widest span is bounded by the latency range (a hostile spread)", () => {
    const d = newDenseSketch();
    // Values walking up and down by doubling steps: the span stays within the range's buckets.
    for (let k = 0; k <= 53; k++) (addDense(d, 2 ** k), addDense(d, 2 ** (53 - k)));
    assert.ok(d.counts.length <= 1846, `${d.counts.length} buckets (bucket of 2^53 µs: 1,837)`);
    assert.equal(d.count, 108);
    assert.equal(denseToSketch(d).buckets.size, 54);
  });

  it("mergeDense() adds what adding each value does, and addDenseAt() what addDense() does (property)", () => {
    const values = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2 ** 40 })), { maxLength: 100 });
    fc.assert(fc.property(values, values, (xs, ys) => {
      const one = newDenseSketch(), a = newDenseSketch(), b = newDenseSketch();
      for (const x of xs) (addDense(one, x), addDense(a, x));
      for (const y of ys) (y > 0 ? addDenseAt(one, bucketIndex(y)) : addDense(one, y), addDense(b, y));
      mergeDense(a, b);
      assert.deepEqual(serializeDense(a), serializeDense(one));
      assert.deepEqual([a.count, a.zero], [one.count, one.zero]);
    }), { numRuns: 300 });
  });

  it("mergeDense() into two histograms at once adds to each what merging into it alone does (property)", () => {
    const values = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2 ** 40 })), { maxLength: 100 });
    fc.assert(fc.property(values, values, values, (xs, ys, zs) => {
      const a = newDenseSketch(), a1 = newDenseSketch(), c = newDenseSketch(), c1 = newDenseSketch(), from = newDenseSketch();
      for (const x of xs) (addDense(a, x), addDense(a1, x));
      for (const z of zs) (addDense(c, z), addDense(c1, z));
      for (const y of ys) addDense(from, y);
      mergeDense(a, from, c);
      mergeDense(a1, from);
      mergeDense(c1, from);
      assert.deepEqual([serializeDense(a), a.count, a.zero], [serializeDense(a1), a1.count, a1.zero]);
      assert.deepEqual([serializeDense(c), c.count, c.zero], [serializeDense(c1), c1.count, c1.zero]);
    }), { numRuns: 300 });
  });
});
