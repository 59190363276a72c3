/**
 * @module The read thread's entry (a web Worker; collector/sqlite/read_thread.ts starts it): opens
 * the store's file read-only on a connection of its own (WAL: readers see the last commit and
 * never block the writer, https://www.sqlite.org/wal.html) and answers heavy queries
 * (collector/sqlite/heavy_reads.ts) one at a time, so their CPU is spent off the ingest thread.
 *
 * Messages in: `{ open: path }` once, then `{ id, q, as }`; out: `{ ready: true }` or
 * `{ failed: message }`, then `{ id, body }` (JSON bytes, transferred), `{ id, value }` or
 * `{ id, error }`.
 */
import { openDatabase } from "../../runtime/sqlite.ts";
import { idleThisThread, niceThisThread } from "../../runtime/thread_priority.ts";
import { restoreJit } from "../../runtime/jit_policy.ts";
import { answerSteps, type HeavyQuery, historyPoints, latencySummary, type ReadStatements, prepareReadStatements } from "./heavy_reads.ts";

interface Port {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(m: unknown, transfer?: Transferable[]): void;
}
const port = globalThis as unknown as Port;
let stmts: ReadStatements | undefined;
const READ_THREAD_NICE = 10;
/**
 * The most of one core the read thread takes (see answer). Measured with bench:reads on a shared
 * 2-core box: run back to back, the thread and the garbage collection it causes took ~120 % of a
 * core; paced to a half, ~67 %.
 */
const READ_THREAD_CPU_SHARE = 0.5;
const enc = new TextEncoder();

type Ask = { id: number; q: HeavyQuery; as: "body" | "value" };
const queue: Ask[] = [];
let running = false;

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Answer one ask, pausing after each chunk of rows (collector/sqlite/heavy_reads.ts CHUNK_ROWS)
 * as long as the chunk ran divided by the share, less the run: the thread uses at most
 * READ_THREAD_CPU_SHARE of a core however many reads wait (they queue behind the admission gate,
 * collector/read_limits.ts), in bursts of a few ms rather than one read's ~100 ms.
 */
async function answer({ id, q, as }: Ask): Promise<void> {
  const idle = 1 / READ_THREAD_CPU_SHARE - 1;
  try {
    if (!stmts) throw new Error("Cannot answer a read: the read thread has no database open");
    if (as === "body") {
      const steps = answerSteps(stmts, q);
      for (;;) {
        const t0 = performance.now();
        const r = steps.next();
        const ran = performance.now() - t0;
        if (r.done) {
          const body = enc.encode(r.value);
          port.postMessage({ id, body }, [body.buffer]);
          await pause((performance.now() - t0) * idle);
          return;
        }
        await pause(ran * idle);
      }
    } else {
      const t0 = performance.now();
      port.postMessage({ id, value: q.kind === "history" ? historyPoints(stmts, q) : latencySummary(stmts, q.rows) });
      await pause((performance.now() - t0) * idle);
    }
  } catch (err) {
    port.postMessage({ id, error: (err as Error).message });
  }
}

/** One read at a time, in the order asked. */
async function drain(): Promise<void> {
  if (running) return;
  running = true;
  while (queue.length > 0) await answer(queue.shift()!);
  running = false;
}

port.onmessage = async (e: MessageEvent) => {
  const m = e.data as { open?: string } & Partial<Ask>;
  if (m.open !== undefined) {
    // Below the ingest thread: when both want the CPU, ingest and the fleet API win, and heavy
    // reads wait (their admission queue is bounded, collector/read_limits.ts). CFS gives nice 10
    // about a tenth of the weight of nice 0 (sched(7)).
    niceThisThread(READ_THREAD_NICE);
    // And preempted at once when the ingest thread wakes (runtime/thread_priority.ts).
    idleThisThread();
    restoreJit();
    try {
      stmts = prepareReadStatements(await openDatabase(m.open, { readonly: true }));
      port.postMessage({ ready: true });
    } catch (err) {
      port.postMessage({ failed: (err as Error).message });
    }
    return;
  }
  queue.push(m as Ask);
  void drain();
};
