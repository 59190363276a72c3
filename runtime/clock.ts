/** @module The real clock, from web timers (and `setImmediate` for a turn of the event loop). */
import { setImmediate } from "node:timers";
import type { Clock } from "./types.ts";

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  // setImmediate, not a microtask: immediates run in the loop's next turn, after its I/O poll,
  // so a request that arrived meanwhile is answered first; microtasks run before any I/O.
  turn: (fn) => void setImmediate(fn),
};
