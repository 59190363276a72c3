/**
 * @module The SQLite store's read thread: a web Worker (Bun and Deno alike) running
 * collector/sqlite/read_worker.ts on a read-only connection of its own, so a heavy read's row
 * decoding and sketch merging (up to `limits.maxQueryRows` rows, ~2 µs each) never holds the
 * thread that ingests and answers the fleet API (docs/security.md "Bounded reads"). The caller
 * keeps admission in front (collector/read_limits.ts: 2 at once, a bounded queue); queries sent
 * meanwhile wait in the worker's message queue and are answered in order.
 */
import type { HeavyQuery } from "./heavy_reads.ts";
import type { HistoryPoint, LatencySummary } from "../store.ts";

export interface ReadThread {
  /** The route's JSON body (transferred, not copied). */
  body(q: HeavyQuery): Promise<Uint8Array<ArrayBuffer>>;
  value(q: HeavyQuery & { kind: "history" }): Promise<HistoryPoint[]>;
  value(q: HeavyQuery & { kind: "latency" }): Promise<LatencySummary>;
  /** Whether the worker died (the store then starts another). */
  readonly dead: boolean;
  close(): void;
}

/**
 * Start the worker and open `path` in it.
 * @throws {Error} "Cannot start the read thread …" when the worker or the database does not open.
 */
export function startReadThread(path: string, startTimeoutMs = 10_000): Promise<ReadThread> {
  let worker: Worker;
  try {
    worker = new Worker(new URL("./read_worker.ts", import.meta.url).href, { type: "module" });
  } catch (e) {
    return Promise.reject(new Error(`Cannot start the read thread: ${(e as Error).message}`, { cause: e }));
  }
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let dead = false;
  const fail = (why: string) => {
    dead = true;
    for (const p of pending.values()) p.reject(new Error(`Cannot answer a read: ${why}`));
    pending.clear();
    worker.terminate();
  };
  return new Promise<ReadThread>((resolve, reject) => {
    const timer = setTimeout(() => {
      fail("the read thread did not start");
      reject(new Error(`Cannot start the read thread: no answer within ${startTimeoutMs} ms`));
    }, startTimeoutMs);
    worker.onerror = (e) => {
      e.preventDefault?.();
      clearTimeout(timer);
      const why = `the read thread failed (${e.message})`;
      fail(why);
      reject(new Error(`Cannot start the read thread: ${why}`));
    };
    worker.onmessage = (e: MessageEvent) => {
      const m = e.data as { ready?: true; failed?: string; id?: number; body?: Uint8Array; value?: unknown; error?: string };
      if (m.ready || m.failed !== undefined) {
        clearTimeout(timer);
        if (m.failed !== undefined) {
          fail(m.failed);
          reject(new Error(`Cannot start the read thread: ${m.failed}`));
          return;
        }
        resolve(thread);
        return;
      }
      const p = pending.get(m.id!);
      if (!p) return;
      pending.delete(m.id!);
      if (m.error !== undefined) p.reject(new Error(`Cannot answer a read: ${m.error}`));
      else p.resolve(m.body ?? m.value);
    };
    const send = (q: HeavyQuery, as: "body" | "value") =>
      new Promise<unknown>((res, rej) => {
        if (dead) return rej(new Error("Cannot answer a read: the read thread is closed"));
        const id = nextId++;
        pending.set(id, { resolve: res, reject: rej });
        worker.postMessage({ id, q, as });
      });
    const thread: ReadThread = {
      body: (q) => send(q, "body") as Promise<Uint8Array<ArrayBuffer>>,
      value: ((q: HeavyQuery) => send(q, "value")) as ReadThread["value"],
      get dead() {
        return dead;
      },
      close: () => {
        if (!dead) fail("the read thread is closed");
      },
    };
    worker.postMessage({ open: path });
  });
}
