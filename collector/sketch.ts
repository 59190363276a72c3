/**
 * @module A mergeable latency histogram with a stated relative error (DDSketch-style log buckets).
 *
 * Bucket i holds values v with gamma^(i-1) < v ≤ gamma^i, gamma = (1+α)/(1-α). Answering a
 * quantile with the bucket's midpoint 2·gamma^i/(gamma+1) is within α of every value in the
 * bucket (Masson, Rim, Lee: "DDSketch", VLDB 2019, §2). Sketches of any minutes and any nodes
 * merge by adding counts, so p50/p90/p99 over a window or across nodes keep the same α.
 * Values are latencies in whole µs; 0 goes to a zero bucket.
 */

/** α: every quantile the collector reports is within 1% of the true sample at that rank. */
export const RELATIVE_ERROR = 0.01;
const GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR);
const LN_GAMMA = Math.log(GAMMA);

export interface Sketch {
  zero: number;
  count: number;
  /** bucket index → count */
  readonly buckets: Map<number, number>;
}

export function newSketch(): Sketch {
  return { zero: 0, count: 0, buckets: new Map() };
}

export function bucketIndex(v: number): number {
  return Math.ceil(Math.log(v) / LN_GAMMA);
}

/** The value reported for bucket i. */
export function bucketValue(i: number): number {
  return (2 * GAMMA ** i) / (GAMMA + 1);
}

export function addValue(s: Sketch, v: number, n = 1): void {
  s.count += n;
  if (v <= 0) {
    s.zero += n;
    return;
  }
  const i = bucketIndex(v);
  s.buckets.set(i, (s.buckets.get(i) ?? 0) + n);
}

export function mergeInto(into: Sketch, from: Sketch): void {
  into.zero += from.zero;
  into.count += from.count;
  for (const [i, c] of from.buckets) into.buckets.set(i, (into.buckets.get(i) ?? 0) + c);
}

/**
 * The q-quantile (0..1): an estimate of the sample of rank floor(q·(n-1)) in sorted order,
 * within RELATIVE_ERROR of it. Undefined for an empty sketch.
 */
export function quantile(s: Sketch, q: number): number | undefined {
  return quantiles(s, [q])[0];
}

/** Several quantiles, ascending `qs`, with one sort of the buckets (`quantile` for each). */
export function quantiles(s: Sketch, qs: readonly number[]): (number | undefined)[] {
  if (s.count === 0) return qs.map(() => undefined);
  const keys = [...s.buckets.keys()].sort((a, b) => a - b);
  let seen = s.zero, i = 0;
  return qs.map((q) => {
    const rank = Math.floor(Math.min(1, Math.max(0, q)) * (s.count - 1));
    if (rank < s.zero) return 0;
    while (i < keys.length && seen + s.buckets.get(keys[i])! <= rank) seen += s.buckets.get(keys[i++])!;
    return bucketValue(keys[Math.min(i, keys.length - 1)]);
  });
}

/** Compact storage form: Int32 [zero, index, count, index, count, ...] as bytes. */
export function serializeSketch(s: Sketch): Uint8Array {
  const a = new Int32Array(1 + 2 * s.buckets.size);
  a[0] = s.zero;
  let j = 1;
  for (const [i, c] of s.buckets) {
    a[j++] = i;
    a[j++] = c;
  }
  return new Uint8Array(a.buffer);
}

/**
 * Merge a serialized sketch into `into` without building a Sketch for it (a heavy read merges
 * tens of thousands of stored minutes: one Map each was most of its garbage).
 * @throws {RangeError} when the bytes are not a serialized sketch.
 */
export function mergeSerializedInto(into: Sketch, bytes: Uint8Array): void {
  if (bytes.length % 8 !== 4) throw new RangeError(`Cannot read sketch: ${bytes.length} bytes is not 4 + 8k`);
  const a = bytes.byteOffset % 4 === 0 ? new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4) : new Int32Array(bytes.slice().buffer);
  into.zero += a[0];
  into.count += a[0];
  for (let j = 1; j < a.length; j += 2) {
    into.buckets.set(a[j], (into.buckets.get(a[j]) ?? 0) + a[j + 1]);
    into.count += a[j + 1];
  }
}

/** @throws {RangeError} when the bytes are not a serialized sketch. */
export function deserializeSketch(bytes: Uint8Array): Sketch {
  if (bytes.length % 8 !== 4) throw new RangeError(`Cannot read sketch: ${bytes.length} bytes is not 4 + 8k`);
  const a = new Int32Array(bytes.slice().buffer);
  const s: Sketch = { zero: a[0], count: a[0], buckets: new Map() };
  for (let j = 1; j < a.length; j += 2) {
    s.buckets.set(a[j], a[j + 1]);
    s.count += a[j + 1];
  }
  return s;
}
