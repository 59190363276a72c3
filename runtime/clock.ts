/** @module The real clock, from web timers (and `setImmediate` for a turn of the event loop on Bun). */
import { setImmediate } from "node:timers";
import { detectRuntime } from "./detect.ts";
import type { Clock } from "./types.ts";

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  // Bun polls its sockets between two chained immediates, so a request that arrived meanwhile is
  // answered before the next callback: measured, a loopback reply seen after 1-2 chained
  // immediates of 0.2 ms. Deno 2 does not (121 immediates, ~24 ms, before the reply), and a
  // MessageChannel starves I/O on both (2,000+ messages); a microtask runs before any I/O. So
  // on Deno there is no turn and callers run at once (docs/benchmarks.md "third pass").
  turn: detectRuntime() === "bun" ? (fn) => void setImmediate(fn) : undefined,
};
