/**
 * @module When the /healthz and /readyz answers are re-encoded and handed to the port. A change a
 * load balancer acts on (the status, readiness, draining) is published at once, in the same
 * call; a change only of the probes an answer names (one more critical probe unhealthy while the
 * node is already DOWN) at once if nothing was published for `minGapMs`, otherwise once when that
 * gap has passed, with whatever is current then. So a mass state change of N probes costs a
 * bounded number of publishes (the status transitions, plus one per `minGapMs` of the burst)
 * instead of N, each of which encodes every name (docs/health.md "A mass state change").
 *
 * A turn of the event loop would not bound it: on Bun the scheduler settles each timed-out run in
 * a turn of its own (agent/scheduler.ts), so the probes of a burst change state in as many turns.
 */
import type { Clock } from "../runtime/types.ts";

export interface AnswerPublisherOptions {
  readonly clock: Clock;
  /** The least time between two publishes of a change that leaves the status as it was. */
  readonly minGapMs: number;
  /** Encode the answers from the current verdict and hand them to the port. */
  readonly publish: () => void;
}

export interface AnswerPublisher {
  /** The status, readiness or draining changed: publish now (a pending publish is folded in). */
  now(): void;
  /** Only the named probes changed: publish now or once `minGapMs` after the last publish. */
  soon(): void;
  /** Drop a pending publish (the agent has stopped). */
  stop(): void;
}

export function createAnswerPublisher(o: AnswerPublisherOptions): AnswerPublisher {
  const { clock, minGapMs } = o;
  let lastAt = -Infinity;
  let timer: unknown;

  function cancel() {
    if (timer === undefined) return;
    clock.clearTimeout(timer);
    timer = undefined;
  }

  function publishNow() {
    cancel();
    lastAt = clock.monotonic();
    o.publish();
  }

  return {
    now: publishNow,
    soon() {
      if (timer !== undefined) return; // the pending publish will carry this change too
      const wait = lastAt + minGapMs - clock.monotonic();
      if (wait <= 0) return publishNow();
      timer = clock.setTimeout(() => {
        timer = undefined;
        publishNow();
      }, wait);
    },
    stop: cancel,
  };
}
