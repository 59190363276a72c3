/**
 * @module Bounded work per read (docs/security.md "Bounded reads"): a query's window, the minute
 * rows it may touch, the points it may return and the nodes it may name are capped (400 naming
 * the limit), lists are paged, and the reads that scan minute rows (history, latency, /metrics)
 * run at most `maxHeavyReads` at a time, with at most `maxHeavyQueue` more waiting their turn
 * (a node page asks for one history per probe at once), and at most `heavyReadsPerSecond` per
 * principal (a token bucket holding two seconds' worth); beyond that, 429 at once.
 *
 * Why rows: the SQLite store merges one minute sketch per row at about 2 µs (measured), on the
 * same thread as ingest, so `maxQueryRows` = 100,000 bounds one read to about 0.2 s of that
 * thread, and `maxHeavyReads` = 2 bounds how much of the thread reads can take at once.
 */
import { problem } from "./problem.ts";
import { createTokenBuckets } from "./token_bucket.ts";

export interface ReadLimits {
  /** Longest from-to window of history and latency. @default 30d */
  readonly maxWindowMs: number;
  /** Minute rows one read may touch: nodes × minutes of the window. @default 100000 */
  readonly maxQueryRows: number;
  /** Points one history answer may hold (window / step). @default 10000 */
  readonly maxPoints: number;
  /** Nodes one latency query may name. @default 1000 */
  readonly maxQueryNodes: number;
  /** Nodes per fleet page (`?limit=`, at most this). @default 5000 */
  readonly maxPageSize: number;
  /** Heavy reads at once. @default 2 */
  readonly maxHeavyReads: number;
  /** Heavy reads waiting for a slot; more get 429. @default 64 */
  readonly maxHeavyQueue: number;
  /** Heavy reads per second per principal (user, API token, proxy user, anonymous). @default 50 */
  readonly heavyReadsPerSecond: number;
  /** Any read-side requests per second per principal (bursts of twice that). @default 500 */
  readonly requestsPerSecond: number;
}

export const READ_LIMIT_DEFAULTS: ReadLimits = {
  maxWindowMs: 30 * 24 * 3_600_000,
  maxQueryRows: 100_000,
  maxPoints: 10_000,
  maxQueryNodes: 1000,
  maxPageSize: 5000,
  maxHeavyReads: 2,
  maxHeavyQueue: 64,
  heavyReadsPerSecond: 50,
  requestsPerSecond: 500,
};

const MINUTE = 60_000;

export function limitExceeded(detail: string): Response {
  return problem({ type: "limit-exceeded", title: "Bad Request", status: 400, detail });
}

/** The 400 for a window that is too long or touches too many rows, or undefined when it is fine. */
export function checkWindow(l: ReadLimits, w: { from: number; to: number }, nodes: number): Response | undefined {
  if (w.to - w.from > l.maxWindowMs) {
    return limitExceeded(`Cannot read a window of ${Math.ceil((w.to - w.from) / 3_600_000)} h: limits.maxQueryWindow is ${l.maxWindowMs / 3_600_000} h`);
  }
  const rows = Math.max(1, nodes) * Math.ceil((w.to - w.from) / MINUTE);
  if (rows > l.maxQueryRows) {
    return limitExceeded(`Cannot read ${nodes} node(s) × ${Math.ceil((w.to - w.from) / MINUTE)} minutes = ${rows} minute rows: limits.maxQueryRows is ${l.maxQueryRows}; name fewer nodes or a shorter window`);
  }
  return undefined;
}

export interface ReadGate {
  /** Run `fn` if a slot is free and `who` has budget left, else answer 429 without running it. */
  run(who: string, fn: () => Promise<Response>): Promise<Response>;
  inFlight(): number;
}

export function createReadGate(limits: () => ReadLimits, now: () => number = () => performance.now()): ReadGate {
  let running = 0;
  const waiting: Array<() => void> = [];
  const buckets = createTokenBuckets(now);
  const tooMany = (detail: string) => problem({ type: "too-many-reads", title: "Too Many Requests", status: 429, detail }, { "retry-after": "1" });
  return {
    async run(who, fn) {
      const l = limits();
      if (!buckets.take(who, l.heavyReadsPerSecond)) return tooMany(`Cannot start another heavy read: limits.heavyReadsPerSecond = ${l.heavyReadsPerSecond} for ${who}`);
      if (running >= l.maxHeavyReads) {
        if (waiting.length >= l.maxHeavyQueue) return tooMany(`Cannot start another heavy read: limits.maxHeavyReads = ${l.maxHeavyReads} are running and limits.maxHeavyQueue = ${l.maxHeavyQueue} are waiting`);
        await new Promise<void>((resolve) => waiting.push(resolve));
      }
      running++;
      try {
        return await fn();
      } finally {
        running--;
        waiting.shift()?.();
      }
    },
    inFlight: () => running,
  };
}
