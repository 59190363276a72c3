/**
 * @module When the disk refuses a write (ENOSPC, EFBIG, EROFS, EIO, a short write), the spool pauses
 * appending and retries with an exponential backoff (pure: the caller passes the time). While
 * paused, a record is counted as lost without touching the disk, so a full disk costs a counter
 * increment per record, not a failing syscall per record.
 */

export interface PauseOptions {
  /** First retry delay. @default 500 */
  readonly initialMs?: number;
  /** Cap of the delay. @default 30_000 */
  readonly maxMs?: number;
}

export interface WritePause {
  /** True while appends must be counted as lost without trying the disk. */
  blocked(now: number): boolean;
  /** A write failed at `now`: pause (or stay paused) with the next delay. */
  failed(now: number, error: string): void;
  /** A write went through: resume. Returns true when this ended a pause. */
  succeeded(): boolean;
  /** Undefined when writing; else since when, the last error and the time of the next try. */
  state(): { readonly since: number; readonly error: string; readonly retryAt: number; readonly failures: number } | undefined;
}

export function createWritePause(options: PauseOptions = {}): WritePause {
  const initial = options.initialMs ?? 500;
  const max = options.maxMs ?? 30_000;
  let paused: { since: number; error: string; retryAt: number; failures: number } | undefined;
  return {
    blocked: (now) => paused !== undefined && now < paused.retryAt,
    failed(now, error) {
      const failures = (paused?.failures ?? 0) + 1;
      const delay = Math.min(max, initial * 2 ** Math.min(failures - 1, 30));
      paused = { since: paused?.since ?? now, error, retryAt: now + delay, failures };
    },
    succeeded() {
      const was = paused !== undefined;
      paused = undefined;
      return was;
    },
    state: () => paused && { ...paused },
  };
}
