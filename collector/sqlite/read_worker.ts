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
import { niceThisThread } from "../../runtime/thread_priority.ts";
import { answerBody, type HeavyQuery, historyPoints, latencySummary, type ReadStatements, prepareReadStatements } from "./heavy_reads.ts";

interface Port {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(m: unknown, transfer?: Transferable[]): void;
}
const port = globalThis as unknown as Port;
let stmts: ReadStatements | undefined;
const READ_THREAD_NICE = 10;
const enc = new TextEncoder();

port.onmessage = async (e: MessageEvent) => {
  const m = e.data as { open?: string; id?: number; q?: HeavyQuery; as?: "body" | "value" };
  if (m.open !== undefined) {
    // Below the ingest thread: when both want the CPU, ingest and the fleet API win, and heavy
    // reads wait (their admission queue is bounded, collector/read_limits.ts). CFS gives nice 10
    // about a tenth of the weight of nice 0 (sched(7)).
    niceThisThread(READ_THREAD_NICE);
    try {
      stmts = prepareReadStatements(await openDatabase(m.open, { readonly: true }));
      port.postMessage({ ready: true });
    } catch (err) {
      port.postMessage({ failed: (err as Error).message });
    }
    return;
  }
  const { id, q } = m;
  try {
    if (!stmts || !q) throw new Error("Cannot answer a read: the read thread has no database open");
    if (m.as === "body") {
      const body = enc.encode(answerBody(stmts, q));
      port.postMessage({ id, body }, [body.buffer]);
    } else {
      port.postMessage({ id, value: q.kind === "history" ? historyPoints(stmts, q) : latencySummary(stmts, q.rows) });
    }
  } catch (err) {
    port.postMessage({ id, error: (err as Error).message });
  }
};
