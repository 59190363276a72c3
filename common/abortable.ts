/**
 * @module The one way to make a promise or a pause give way to an `AbortSignal` (Deno std's
 * `async/abortable.ts` and `async/delay.ts` shape): the listener and the timer are always removed,
 * so a long-lived signal (the agent's stop signal) collects no listeners run after run.
 */

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
    const abort = () => {
      onAbort?.();
      p.catch(() => {});
      reject(abortReason(signal));
    };
    signal.addEventListener("abort", abort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", abort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", abort);
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
 * @example await sleep(backoffMs, stop.signal)
 */
export function sleep(ms: number, signal: AbortSignal, timers: SleepTimers = platform): Promise<void> {
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<void>((resolve, reject) => {
    const t = timers.setTimeout(() => {
      signal.removeEventListener("abort", abort);
      resolve();
    }, ms);
    const abort = () => {
      timers.clearTimeout(t);
      reject(abortReason(signal));
    };
    signal.addEventListener("abort", abort, { once: true });
  });
}
