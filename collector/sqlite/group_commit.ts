/**
 * @module Group commit: every item submitted since the last flush is written in one transaction
 * (one WAL commit instead of one per batch), and each caller is answered only after COMMIT, so
 * an acknowledged batch is durable. An item whose write throws fails alone; the writer makes
 * its own writes atomic (one statement, or a savepoint). A COMMIT (or BEGIN) that fails fails
 * every item of the group, and none of them reaches `committed`: no partial acks.
 *
 * A group is bounded by count (`maxGroup`), by bytes (`maxBytes`, summed with `sizeOf`) and by
 * time: its first item waits at most `maxWaitMs` (0: until the next macrotask, which already
 * gathers every request that arrived while the last group was being written).
 */
export interface GroupWriter<T, R> {
  begin(): void;
  commit(): void;
  rollback(): void;
  /** Write one item inside the open transaction. `group` counts the items of this transaction. */
  write(item: T, group: number): R;
  /** After COMMIT, in submission order, before the callers are answered. */
  committed(item: T, result: R): void;
  /** After every caller of the group was answered (notifications). */
  settled?(items: readonly { item: T; result: R }[]): void;
}

export interface GroupCommit<T, R> {
  submit(item: T): Promise<R>;
  /** Write what is queued now (also runs by itself when the group is full or its wait is over). */
  flush(): void;
}

export interface GroupCommitOptions<T> {
  /** Most items in one transaction: bounds the latency of the first one. */
  readonly maxGroup: number;
  /** Most bytes in one transaction (an item larger than this is written alone). @default Infinity */
  readonly maxBytes?: number;
  /** An item's size for `maxBytes`. @default 0 */
  readonly sizeOf?: (item: T) => number;
  /** Longest wait of a group's first item for more (ms); 0: the next macrotask. @default 0 */
  readonly maxWaitMs?: number;
  /** Timer seam (tests). @default setTimeout */
  readonly setTimer?: (fn: () => void, ms: number) => unknown;
}

/**
 * @throws {RangeError} when maxGroup is not a positive integer or maxWaitMs is negative
 */
export function groupCommit<T, R>(w: GroupWriter<T, R>, options: GroupCommitOptions<T> | number): GroupCommit<T, R> {
  const o: GroupCommitOptions<T> = typeof options === "number" ? { maxGroup: options } : options;
  if (!Number.isInteger(o.maxGroup) || o.maxGroup < 1) throw new RangeError(`Cannot group commits as 'maxGroup' must be a positive integer: current value is ${o.maxGroup}`);
  const maxWaitMs = o.maxWaitMs ?? 0;
  if (!(maxWaitMs >= 0)) throw new RangeError(`Cannot group commits as 'maxWaitMs' must be 0 or more: current value is ${maxWaitMs}`);
  const maxBytes = o.maxBytes ?? Infinity;
  const sizeOf = o.sizeOf ?? (() => 0);
  const setTimer = o.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
  interface Pending {
    readonly item: T;
    readonly resolve: (r: R) => void;
    readonly reject: (e: unknown) => void;
  }
  let queue: Pending[] = [];
  let queuedBytes = 0;
  /** Bumped by every flush: a timer armed for an earlier group does nothing. */
  let generation = 0;
  let armed = -1;

  const failAll = (items: Pending[], e: unknown) => {
    try {
      w.rollback();
    } catch {
      // nothing open, or already rolled back
    }
    for (const it of items) it.reject(e);
  };

  const flush = () => {
    generation++;
    const items = queue;
    queue = [];
    queuedBytes = 0;
    if (items.length === 0) return;
    try {
      w.begin();
    } catch (e) {
      // BEGIN may have run before what failed: nothing of this group may stay open.
      return failAll(items, e);
    }
    const results: (R | Error)[] = [];
    for (const it of items) {
      try {
        results.push(w.write(it.item, items.length));
      } catch (e) {
        results.push(e instanceof Error ? e : new Error(String(e)));
      }
    }
    try {
      w.commit();
    } catch (e) {
      return failAll(items, e);
    }
    const settled: { item: T; result: R }[] = [];
    items.forEach((it, i) => {
      const r = results[i];
      if (r instanceof Error) return it.reject(r);
      w.committed(it.item, r);
      settled.push({ item: it.item, result: r });
      it.resolve(r);
    });
    w.settled?.(settled);
  };

  return {
    submit(item) {
      return new Promise<R>((resolve, reject) => {
        const size = sizeOf(item);
        // Over the byte bound with this item: what waits goes first, this one opens the next group.
        if (queue.length > 0 && queuedBytes + size > maxBytes) flush();
        queue.push({ item, resolve, reject });
        queuedBytes += size;
        if (queue.length >= o.maxGroup || queuedBytes >= maxBytes) flush();
        else if (armed !== generation) {
          armed = generation;
          const g = generation;
          setTimer(() => {
            if (g === generation) flush();
          }, maxWaitMs);
        }
      });
    },
    flush,
  };
}
