/**
 * @module Load shedding for ingest: past `maxInFlight` batches being stored, a new batch is
 * answered 503 with `Retry-After` before its body is read or decoded, so an overloaded collector
 * spends a few µs on the excess instead of queueing it until agents time out and resend
 * (RFC 9110 §15.6.4: 503 with Retry-After for temporary overload). The agents' spools hold what
 * is refused; their uplinks wait at least Retry-After, with jitter (common/retry_after.ts).
 *
 * Retry-After is the time the batches in flight need at the recently measured service time,
 * times two, between 1 and 30 s: a fleet told to come back spreads over that window by jitter.
 */
export interface Admission {
  /** Reserve a slot; false when the collector is at capacity. */
  tryEnter(): boolean;
  /** Release a slot; `serviceMs` is how long the admitted request took. */
  leave(serviceMs: number): void;
  /** Whole seconds for Retry-After. */
  retryAfterSeconds(): number;
  readonly inFlight: number;
  readonly shed: number;
}

export function createAdmission(maxInFlight: number): Admission {
  let inFlight = 0, shed = 0;
  // Exponentially weighted service time of admitted requests (α = 1/16), ms; starts at 10 ms.
  let ewmaMs = 10;
  return {
    tryEnter() {
      if (inFlight >= maxInFlight) {
        shed++;
        return false;
      }
      inFlight++;
      return true;
    },
    leave(serviceMs) {
      inFlight--;
      ewmaMs += (serviceMs - ewmaMs) / 16;
    },
    retryAfterSeconds() {
      // Requests in flight are served concurrently (group commit): the backlog drains in about one service time.
      return Math.min(30, Math.max(1, Math.ceil((2 * ewmaMs) / 1000)));
    },
    get inFlight() {
      return inFlight;
    },
    get shed() {
      return shed;
    },
  };
}
