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
  const buf = new ArrayBuffer(4 * (1 + 2 * s.buckets.size));
  const a = new Int32Array(buf);
  a[0] = s.zero;
  let j = 1;
  for (const [i, c] of s.buckets) {
    a[j++] = i;
    a[j++] = c;
  }
  return new Uint8Array(buf);
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

/**
 * An open bucket's histogram, kept mutable and compact: counts of consecutive bucket indices
 * from `lo` in one Uint32Array (4 bytes a bucket). One probe's latencies sit in a narrow band
 * (a factor of 10 is ~116 buckets at α = 1 %), so an open hour or day costs a few hundred bytes
 * and each value one array increment, where raw latencies cost 8+ bytes each until folded into a
 * serialized sketch, and each fold a Map built and dropped (measured: docs/scale-out.md, RSS at
 * 10,000 agents). Its widest span is bounded by the latency range itself: a µs value up to 2^53
 * is bucket ≤ 1,837, so a hostile spread costs at most ~7.4 KB per open bucket.
 */
export interface DenseSketch {
  zero: number;
  count: number;
  lo: number;
  counts: Uint32Array;
}

const EMPTY = new Uint32Array(0);
/** One past the bucket of 2^53 µs (1,837 at α = 1 %): the widest span a slot can need, with 8 below 1 µs. */
const TOP = bucketIndex(2 ** 53) + 1;

export function newDenseSketch(): DenseSketch {
  return { zero: 0, count: 0, lo: 0, counts: EMPTY };
}

/**
 * An empty histogram spanning the buckets `like` spans: a probe's next minute starts where its
 * last one ended, since its latencies stay in a similar range. Growing a new minute's span value
 * by value was ~6 % of ingest CPU with 5 s batches (bun --cpu-prof, docs/benchmarks.md), nearly
 * all of it the typed array allocations.
 */
export function newDenseSketchLike(like: DenseSketch): DenseSketch {
  return like.counts.length === 0 ? newDenseSketch() : { zero: 0, count: 0, lo: like.lo, counts: new Uint32Array(like.counts.length) };
}

/**
 * Make room for bucket i: the first value gets 48 buckets around it (±24: ×1.6 either way at
 * α = 1 %), and the span at least doubles when it grows, so a slot grows a few times at most.
 */
function reach(d: DenseSketch, i: number): void {
  const c = d.counts;
  if (c.length === 0) {
    d.lo = Math.max(-8, Math.min(i - 24, TOP - 48));
    d.counts = new Uint32Array(48);
    return;
  }
  const hi = d.lo + c.length;
  if (i >= d.lo && i < hi) return;
  // Doubling stays within [-8, TOP): whole µs from 1 to 2^53 are buckets 0..TOP-1.
  const lo = i < d.lo ? Math.min(i, Math.max(-8, Math.min(i - 8, d.lo - c.length))) : d.lo;
  const top = i >= hi ? Math.max(i + 1, Math.min(TOP, Math.max(i + 9, hi + c.length))) : hi;
  const next = new Uint32Array(top - lo);
  next.set(c, d.lo - lo);
  d.lo = lo;
  d.counts = next;
}

export function addDense(d: DenseSketch, v: number, n = 1): void {
  d.count += n;
  if (v <= 0) {
    d.zero += n;
    return;
  }
  const i = bucketIndex(v);
  if (i < d.lo || i >= d.lo + d.counts.length) reach(d, i);
  d.counts[i - d.lo] += n;
}

/** addDense for a value > 0 whose bucket is already known (one log for several histograms). */
export function addDenseAt(d: DenseSketch, i: number): void {
  d.count++;
  if (i < d.lo || i >= d.lo + d.counts.length) reach(d, i);
  d.counts[i - d.lo]++;
}

/**
 * Add one dense histogram's counts into another, and into a second one when given (a probe's
 * minute into its hour and day: one scan of the minute for both, collector/read_model.ts).
 */
export function mergeDense(d: DenseSketch, from: DenseSketch, d2?: DenseSketch): void {
  d.zero += from.zero;
  d.count += from.count;
  if (d2) {
    d2.zero += from.zero;
    d2.count += from.count;
  }
  const c = from.counts;
  let first = -1, last = -1;
  for (let j = 0; j < c.length; j++) {
    if (c[j] === 0) continue;
    if (first < 0) first = j;
    last = j;
  }
  if (first < 0) return;
  // Both ends first: the span grows at most twice, and then every bucket is in range.
  reach(d, from.lo + first);
  reach(d, from.lo + last);
  if (!d2) {
    for (let j = first; j <= last; j++) if (c[j] !== 0) d.counts[from.lo + j - d.lo] += c[j];
    return;
  }
  reach(d2, from.lo + first);
  reach(d2, from.lo + last);
  const a = d.counts, b = d2.counts, oa = from.lo - d.lo, ob = from.lo - d2.lo;
  for (let j = first; j <= last; j++) {
    const v = c[j];
    if (v === 0) continue;
    a[oa + j] += v;
    b[ob + j] += v;
  }
}

export function mergeIntoDense(d: DenseSketch, s: Sketch): void {
  d.zero += s.zero;
  d.count += s.zero;
  for (const [i, c] of s.buckets) {
    reach(d, i);
    d.counts[i - d.lo] += c;
    d.count += c;
  }
}

/** The same histogram as a Sketch (a fresh one: the caller may keep or merge it). */
export function denseToSketch(d: DenseSketch): Sketch {
  const s: Sketch = { zero: d.zero, count: d.count, buckets: new Map() };
  const c = d.counts;
  for (let j = 0; j < c.length; j++) if (c[j] !== 0) s.buckets.set(d.lo + j, c[j]);
  return s;
}

/**
 * serializeSketch's bytes for this histogram, without building a Sketch; with `minus`, for the
 * histogram less another one it contains (an open hour without its open minute).
 */
export function serializeDense(d: DenseSketch, minus?: DenseSketch): Uint8Array {
  const c = minus ? denseMinus(d, minus) : d.counts;
  let n = 0, first = 0, last = -1;
  for (let j = 0; j < c.length; j++) {
    if (c[j] === 0) continue;
    if (n++ === 0) first = j;
    last = j;
  }
  const zero = d.zero - (minus?.zero ?? 0);
  if (!LITTLE_ENDIAN) return serializeInt32(zero, d.lo, c, n, first, last);
  // One allocation, the Int32 words written byte by byte (little-endian, as an Int32Array on this
  // host lays them out): an Int32Array over an ArrayBuffer of its own was three objects per row
  // (~4 % of ingest CPU with 5 s batches, bun --cpu-prof), and `.buffer` of a small typed array
  // made without one costs a copy in JavaScriptCore.
  const out = new Uint8Array(4 * (1 + 2 * n));
  put32(out, 0, zero);
  let k = 4;
  for (let j = first; j <= last; j++) {
    if (c[j] === 0) continue;
    put32(out, k, d.lo + j);
    put32(out, k + 4, c[j]);
    k += 8;
  }
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function put32(b: Uint8Array, at: number, v: number): void {
  b[at] = v;
  b[at + 1] = v >> 8;
  b[at + 2] = v >> 16;
  b[at + 3] = v >> 24;
}

function serializeInt32(zero: number, lo: number, c: Uint32Array, n: number, first: number, last: number): Uint8Array {
  const buf = new ArrayBuffer(4 * (1 + 2 * n));
  const a = new Int32Array(buf);
  a[0] = zero;
  let k = 1;
  for (let j = first; j <= last; j++) {
    if (c[j] === 0) continue;
    a[k++] = lo + j;
    a[k++] = c[j];
  }
  return new Uint8Array(buf);
}

/** d's counts less those of `minus` (over d's span: `minus` holds no bucket d does not). */
function denseMinus(d: DenseSketch, minus: DenseSketch): Uint32Array {
  const out = d.counts.slice();
  const m = minus.counts;
  for (let k = 0; k < m.length; k++) {
    const j = minus.lo + k - d.lo;
    if (j >= 0 && j < out.length) out[j] -= m[k];
  }
  return out;
}
