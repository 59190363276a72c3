/**
 * @module The one way to make a promise or a pause give way to an `AbortSignal` (Deno std's
 * `async/abortable.ts` and `async/delay.ts` shape): the listener and the timer are always removed,
 * so a long-lived signal (the agent's stop signal) collects no listeners run after run.
 */

const noop = () => {};

/**
 * Run `fn` once when `signal` aborts, and return a disposer that removes the listener (harmless
 * after `fn` ran, or twice). The one place an abort listener is added: a caller that disposes on
 * settle leaves nothing on a long-lived signal however many operations it serves. When the signal
 * has already aborted, `fn` runs at once, before this returns (an `addEventListener` on an aborted
 * signal never fires, WHATWG DOM "add an event listener"), so a `fn` that calls the disposer must
 * see `signal.aborted` first. Unlike node:events' `addAbortListener`, nothing waits a microtask.
 * No `signal` (an optional one not given): nothing to listen to, a no-op disposer.
 * @example const off = addAbortListener(signal, () => sock.destroy()); sock.once("close", off);
 */
export function addAbortListener(signal: AbortSignal | undefined, fn: () => void): () => void {
  if (!signal) return noop;
  if (signal.aborted) {
    fn();
    return noop;
  }
  // No `{ once: true }`: a signal fires "abort" once only (WHATWG DOM, "signal abort"), and the
  // options object is one more thing per call to make and for the runtime to read (a listener
  // is added per connect).
  signal.addEventListener("abort", fn);
  return () => signal.removeEventListener("abort", fn);
}

/** The signal's reason, or a DOMException "AbortError" when it has none (WHATWG DOM, AbortSignal). */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("The operation was aborted", "AbortError");
}

/**
 * Settle as `p` does, or reject with the signal's reason as soon as it aborts. `onAbort` runs
 * once on abort, to cancel the work behind `p` (close a socket, reset a stream); `p` is left to
 * settle on its own and its outcome is ignored.
 * @example await abortable(lookup(name), AbortSignal.timeout(2000), () => resolver.cancel())
 */
export function abortable<T>(p: Promise<T>, signal: AbortSignal, onAbort?: () => void): Promise<T> {
  if (signal.aborted) {
    onAbort?.();
    p.catch(() => {});
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const off = addAbortListener(signal, () => {
      onAbort?.();
      p.catch(() => {});
      reject(abortReason(signal));
    });
    p.then(
      (v) => {
        off();
        resolve(v);
      },
      (e) => {
        off();
        reject(e);
      },
    );
  });
}

/** Timers to sleep on: the platform's by default, a manual clock in tests. */
export interface SleepTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}
const platform: SleepTimers = { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) };

/**
 * Resolve after `ms`, or reject with the signal's reason when it aborts first (the timer is
 * cleared). A loop that checks the signal itself can write `await sleep(ms, signal).catch(() => {})`.
 * Without a signal it is a plain pause; `timers` is the clock to sleep on (a manual one in tests).
 * @example await sleep(backoffMs, stop.signal)
 */
export function sleep(ms: number, signal?: AbortSignal, timers: SleepTimers = platform): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise<void>((resolve, reject) => {
    // Listener first: a manual clock may run a 0 ms timer inside setTimeout itself.
    let t: unknown;
    const off = addAbortListener(signal, () => {
      timers.clearTimeout(t);
      reject(abortReason(signal!));
    });
    t = timers.setTimeout(() => {
      off();
      resolve();
    }, ms);
  });
}
