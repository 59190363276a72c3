/**
 * @module Follow the subjects of one stream in order (an ordered consumer) until stopped: the
 * loop behind a partition owner (collector/jetstream_owner.ts) and the shared fleet view
 * (collector/jetstream_view.ts). docs/scale-out.md, "Read side".
 */
import type { JetStreamClient, JsMsg } from "@nats-io/jetstream";
import { DeliverPolicy } from "@nats-io/jetstream";
import type { LogFn } from "../common/mod.ts";
import { sleep } from "../common/abortable.ts";

export interface FollowOptions {
  readonly stream: string;
  readonly filter: string;
  /** Only the newest message per subject (a key-value bucket's current values). */
  readonly lastPerSubject?: boolean;
  /** Stream sequence already applied: start after it (0 = from the start). */
  readonly after: number;
  /** What the log lines call this follower. */
  readonly name: string;
}

export interface Follower {
  /** Highest stream sequence handed to `onMessage` and settled. */
  applied(): number;
  /** Resolves once a message with nothing pending behind it was applied (caught up), or at `stop`. */
  readonly caughtUp: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Consume `filter` of `stream` in stream order, from `after + 1`. `onMessage` is awaited only
 * when it returns a promise and at most `window` are outstanding; a failing message is logged and
 * skipped (the stream keeps it). After a server loss an ordered consumer can sit on a dead pull
 * without an error: pulls expire after 5 s (two missed idle heartbeats) instead of the client's
 * 30 s, and a watchdog restarts the consumer from `applied` when the stream is known to hold more
 * and nothing moved for 3 s.
 */
export function follow(
  js: JetStreamClient,
  options: FollowOptions,
  onMessage: (m: JsMsg) => void | Promise<void>,
  deps: { log: LogFn; lastKnown?: () => number },
): Follower {
  let applied = options.after;
  let stopped = false;
  let current: { stop(): void } | undefined;
  let markCaughtUp!: () => void;
  let isCaughtUp = false;
  const caughtUp = new Promise<void>((r) => (markCaughtUp = () => ((isCaughtUp = true), r())));
  const { log } = deps;

  const loop = async () => {
    let attempt = 0;
    while (!stopped) {
      try {
        const start = applied > 0
          ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: applied + 1 }
          : { deliver_policy: options.lastPerSubject ? DeliverPolicy.LastPerSubject : DeliverPolicy.All };
        const consumer = await js.consumers.get(options.stream, { filter_subjects: options.filter, ...start });
        const messages = await consumer.consume({ max_messages: 1000, expires: 5000 });
        current = messages;
        if (stopped) messages.stop();
        let outstanding = 0;
        for await (const m of messages) {
          attempt = 0;
          const seq = m.info.streamSequence;
          const last = m.info.pending === 0;
          let r: void | Promise<void> = undefined;
          try {
            r = onMessage(m);
          } catch (e) {
            log("warn", `collector: ${options.name}: skipping a message that cannot be applied`, { seq, subject: m.subject, error: (e as Error).message });
          }
          if (r instanceof Promise) {
            outstanding++;
            r.catch((e) => log("warn", `collector: ${options.name}: skipping a message that cannot be applied`, { seq, error: (e as Error).message }))
              .finally(() => {
                outstanding--;
                if (seq > applied) applied = seq;
                if (last && !isCaughtUp) markCaughtUp();
              });
            if (outstanding >= 512) while (outstanding >= 256) await sleep(1);
          } else {
            if (seq > applied) applied = seq;
            if (last && !isCaughtUp) markCaughtUp();
          }
        }
        if (!stopped) await sleep(100); // stopped by the watchdog: start again from `applied`
      } catch (e) {
        if (stopped) break;
        log("warn", `collector: ${options.name}: consumer stopped; restarting`, { applied, error: (e as Error).message });
        // At most 1 s apart: after a NATS server dies, consumers fail until new stream leaders are
        // elected, and a longer backoff delayed the views by 10 s after the election in the failover test.
        await sleep(Math.min(1000, 100 * 2 ** Math.min(attempt++, 4)));
      }
    }
  };
  const running = loop();

  let progress = { applied, at: Date.now() };
  const watchdog = setInterval(() => {
    if (stopped) return;
    if (applied !== progress.applied) return void (progress = { applied, at: Date.now() });
    const known = deps.lastKnown?.() ?? 0;
    if (known > applied && Date.now() - progress.at > 3000) {
      log("warn", `collector: ${options.name}: consumer stalled; restarting it`, { applied, known });
      progress = { applied, at: Date.now() };
      current?.stop();
    }
  }, 1000);
  (watchdog as { unref?: () => void }).unref?.();

  return {
    applied: () => applied,
    caughtUp,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(watchdog);
      current?.stop();
      markCaughtUp();
      await running.catch(() => {});
    },
  };
}
