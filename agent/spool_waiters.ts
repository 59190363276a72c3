/** @module Waiters for "a record is ready": resolved together by `wake()`, each one abortable. */
import { addAbortListener } from "../common/abortable.ts";

export interface Waiters {
  /** Resolves on the next `wake()`, or rejects with the signal's reason on abort. */
  wait(signal: AbortSignal): Promise<void>;
  /** Resolve every waiter and forget them. */
  wake(): void;
  /** How many wait; for tests and leak checks. */
  readonly size: number;
}

export function createWaiters(): Waiters {
  const waiting = new Set<() => void>();
  return {
    wait(signal) {
      return new Promise((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason);
        const done = () => {
          offAbort();
          resolve();
        };
        waiting.add(done);
        const offAbort = addAbortListener(signal, () => {
          waiting.delete(done);
          reject(signal.reason);
        });
      });
    },
    wake() {
      const all = [...waiting];
      waiting.clear();
      for (const w of all) w();
    },
    get size() {
      return waiting.size;
    },
  };
}
