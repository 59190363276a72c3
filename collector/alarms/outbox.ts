/**
 * @module The durable outbox of one northbound receiver: messages are written to disk
 * (OutboxStore) before anything is sent, sent in order, and removed only once the receiver took
 * them. A receiver that is down loses nothing: its messages wait, retried with exponential backoff
 * (doubling from `minBackoff` to `maxBackoff`, ±20% jitter so many collectors do not retry in step),
 * up to `maxMessages` (the oldest go first beyond it, counted in `dropped`).
 */
import type { LogFn } from "../../common/log.ts";
import type { OutboxStore } from "./repo.ts";
import { sleep } from "../../common/abortable.ts";

export interface Sender {
  /** Receiver name, the outbox key. */
  readonly name: string;
  /** Most messages per send. */
  readonly batch: number;
  /** Deliver messages in order; throws when the receiver did not take them. */
  send(bodies: readonly string[], signal: AbortSignal): Promise<void>;
}

export interface OutboxOptions {
  readonly minBackoff: number;
  readonly maxBackoff: number;
  readonly maxMessages: number;
  readonly log: LogFn;
  readonly signal: AbortSignal;
  readonly random?: () => number;
}

export interface OutboxStats {
  readonly receiver: string;
  readonly pending: number;
  readonly sent: number;
  readonly failures: number;
  readonly dropped: number;
  readonly lastError?: string;
  readonly lastSentAt?: number;
}

export interface Outbox {
  /** Queue messages (durably) and wake the sender. */
  enqueue(bodies: readonly string[]): void;
  stats(): OutboxStats;
  /** Resolves once nothing is pending (tests), or when `signal` aborts. */
  drained(signal: AbortSignal): Promise<void>;
}

export function startOutbox(store: OutboxStore, sender: Sender, o: OutboxOptions): Outbox {
  let sent = 0, failures = 0, dropped = 0, backoff = 0;
  let lastError: string | undefined, lastSentAt: number | undefined;
  let running = false;
  const random = o.random ?? Math.random;

  const loop = async () => {
    if (running) return;
    running = true;
    try {
      while (!o.signal.aborted) {
        const msgs = store.peek(sender.name, sender.batch);
        if (msgs.length === 0) break;
        try {
          await sender.send(msgs.map((m) => m.body), o.signal);
          // Stopping: the store may be closed already. The messages stay queued and go again at
          // the next start (at least once; receivers dedupe by notificationId / alarmId).
          if (o.signal.aborted) return;
          store.remove(sender.name, msgs.map((m) => m.id));
          sent += msgs.length;
          lastSentAt = Date.now();
          if (backoff > 0) o.log("info", "alarms: northbound receiver is back", { receiver: sender.name });
          backoff = 0;
        } catch (e) {
          if (o.signal.aborted) return;
          failures++;
          lastError = (e as Error).message;
          backoff = backoff === 0 ? o.minBackoff : Math.min(o.maxBackoff, backoff * 2);
          if (failures === 1 || backoff === o.maxBackoff) o.log("warn", "alarms: cannot deliver northbound; keeping messages", { receiver: sender.name, pending: store.size(sender.name), retryInMs: backoff, error: lastError });
          await sleep(backoff * (0.8 + 0.4 * random()), o.signal).catch(() => {});
        }
      }
    } finally {
      running = false;
    }
  };

  queueMicrotask(loop);
  return {
    enqueue(bodies) {
      if (bodies.length === 0) return;
      store.add(sender.name, bodies);
      dropped += store.trim(sender.name, o.maxMessages);
      // A new message does not cut a backoff short: the receiver is still presumed down.
      if (!running) void loop();
    },
    stats: () => ({ receiver: sender.name, pending: store.size(sender.name), sent, failures, dropped, ...(lastError ? { lastError } : {}), ...(lastSentAt ? { lastSentAt } : {}) }),
    async drained(signal) {
      while (!signal.aborted && store.size(sender.name) > 0) await sleep(20, signal).catch(() => {});
    },
  };
}

