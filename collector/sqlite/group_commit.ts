/**
 * @module Group commit: every item submitted since the last flush is written in one transaction
 * (one WAL commit instead of one per batch), and each caller is answered only after COMMIT, so
 * an acknowledged batch is durable. An item whose write throws fails alone; the writer makes
 * its own writes atomic (one statement, or a savepoint).
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
  /** Write what is queued now (also runs on the next macrotask by itself). */
  flush(): void;
}

/**
 * @param maxGroup most items in one transaction: bounds the latency of the first one
 */
export function groupCommit<T, R>(w: GroupWriter<T, R>, maxGroup: number): GroupCommit<T, R> {
  interface Pending {
    readonly item: T;
    readonly resolve: (r: R) => void;
    readonly reject: (e: unknown) => void;
  }
  let queue: Pending[] = [];
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    const items = queue;
    queue = [];
    if (items.length === 0) return;
    try {
      w.begin();
    } catch (e) {
      for (const it of items) it.reject(e);
      return;
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
      try {
        w.rollback();
      } catch {
        // already rolled back
      }
      for (const it of items) it.reject(e);
      return;
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
        queue.push({ item, resolve, reject });
        if (queue.length >= maxGroup) flush();
        else if (!scheduled) {
          scheduled = true;
          setTimeout(flush, 0);
        }
      });
    },
    flush,
  };
}
