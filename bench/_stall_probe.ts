/**
 * @module A preload for bench/loop_stalls.ts (`bun --preload bench/_stall_probe.ts cli/main.ts
 * agent ...`): timestamps every turn of the agent's event loop with a chained `setImmediate` and
 * keeps the turns longer than 0.5 ms, each with what JavaScript ran in it: timer, immediate and
 * socket callbacks (the handlers given to `Bun.connect`), wrapped to time them. The rest of a
 * long turn is native work (the server's requests, sockets, TLS), microtasks and GC. Written to
 * `EDGEPROBE_STALL_OUT` as JSON when the process exits. A measuring tool: the chained immediate
 * keeps the loop from sleeping, and the wrappers cost a little per callback.
 */
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const out = process.env.EDGEPROBE_STALL_OUT;
const STALL_MS = 0.5;
/** A callback shorter than this is counted, not named. */
const NAMED_MS = 0.05;
const MAX_STALLS = 200_000;

export interface Stall {
  /** Epoch ms at the turn's start. */
  at: number;
  ms: number;
  /** Time in the wrapped callbacks of that turn. */
  jsMs: number;
  /** Socket callbacks in that turn (connect, data, handshake, close...). */
  socketCallbacks: number;
  /** The longest callbacks by name, summed: [name, ms]. */
  top: Array<[string, number]>;
}

const stalls: Stall[] = [];
/** Turns by the number of socket callbacks they ran: index n = turns with n (the last: more). */
const socketCallbacksPerTurn = new Array(17).fill(0);
let turns = 0;
let named: Array<[string, number]> = [];
let jsMs = 0;
let socketCalls = 0;
let last = performance.now();

// deno-lint-ignore no-explicit-any
type AnyFn = (...a: any[]) => unknown;
const nameOf = (fn: AnyFn, kind: string) => `${kind}:${fn.name || String(fn).slice(0, 70).replace(/\s+/g, " ")}`;

function timed<F extends AnyFn>(fn: F, kind: string, socket = false): F {
  return function (this: unknown, ...a: unknown[]) {
    const t = performance.now();
    if (socket) socketCalls++;
    try {
      return fn.apply(this, a);
    } finally {
      const d = performance.now() - t;
      jsMs += d;
      if (d > NAMED_MS) named.push([nameOf(fn, kind), d]);
    }
  } as F;
}

const g = globalThis as unknown as Record<string, AnyFn>;
const globalTimeout = g.setTimeout;
g.setTimeout = (fn: AnyFn, ms?: number, ...a: unknown[]) => globalTimeout(timed(fn, "timeout"), ms, ...a);
const globalInterval = g.setInterval;
g.setInterval = (fn: AnyFn, ms?: number, ...a: unknown[]) => globalInterval(timed(fn, "interval"), ms, ...a);
// The CommonJS exports object: what `import { setImmediate } from "node:timers"` (runtime/clock.ts)
// reads when that module loads after this preload (a default import's copy is not).
const t = createRequire(import.meta.url)("node:timers") as Record<string, AnyFn>;
const immediate = t.setImmediate;
t.setImmediate = (fn: AnyFn, ...a: unknown[]) => immediate(timed(fn, "immediate"), ...a);
g.setImmediate = t.setImmediate;

// Bun.connect takes one handler object per call; the agent hands the same one every time.
const bun = (globalThis as unknown as { Bun?: Record<string, AnyFn> }).Bun;
if (bun) {
  const connect = bun.connect;
  const wrapped = new WeakMap<object, object>();
  bun.connect = ((o: { socket: Record<string, unknown> }) => {
    let h = wrapped.get(o.socket);
    if (!h) {
      h = Object.fromEntries(Object.entries(o.socket).map(([k, v]) => [k, typeof v === "function" ? timed(v as AnyFn, `socket.${k}`, true) : v]));
      wrapped.set(o.socket, h);
    }
    return connect({ ...o, socket: h } as never);
  }) as AnyFn;
}

function turn() {
  const now = performance.now();
  const ms = now - last;
  turns++;
  socketCallbacksPerTurn[Math.min(socketCalls, socketCallbacksPerTurn.length - 1)]++;
  if (ms > STALL_MS && stalls.length < MAX_STALLS) {
    const by = new Map<string, number>();
    for (const [n, d] of named) by.set(n, (by.get(n) ?? 0) + d);
    stalls.push({ at: performance.timeOrigin + last, ms, jsMs, socketCallbacks: socketCalls, top: [...by].sort((a, b) => b[1] - a[1]).slice(0, 4) });
  }
  named = [];
  jsMs = 0;
  socketCalls = 0;
  last = performance.now();
  immediate(turn);
}
immediate(turn);

process.on("exit", () => {
  if (out) writeFileSync(out, JSON.stringify({ turns, socketCallbacksPerTurn, stalls }));
});
