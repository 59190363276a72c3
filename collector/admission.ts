/**
 * @module Load shedding for ingest: past `maxInFlight` batches being stored, or past `maxBytes`
 * of their bodies, a new batch is answered 503 with `Retry-After` before its body is read or
 * decoded, so an overloaded collector spends a few µs on the excess instead of queueing it until
 * agents time out and resend (RFC 9110 §15.6.4: 503 with Retry-After for temporary overload).
 * The agents' spools hold what is refused; their uplinks wait at least Retry-After, with jitter
 * (common/retry_after.ts).
 *
 * The byte budget bounds what batches in flight hold: each body is buffered whole before it is
 * decoded (server/read_body.ts), so `maxInFlight` × `limits.maxBodyBytes` alone allowed 512 MiB
 * of bodies, and their decoded records several times that (docs/security.md has the measured
 * factor). A body counts by its Content-Length, or as `limits.maxBodyBytes` when it declares
 * none (chunked). One batch is always admitted when nothing is in flight, whatever its size.
 *
 * Retry-After is the time the batches in flight need at the recently measured service time,
 * times two, between 1 and 30 s: a fleet told to come back spreads over that window by jitter.
 * And each refused batch books a slot: the refused are told to come back one after another at the
 * rate the collector admits (batches in flight ÷ service time, Little's law), so a crowd that
 * arrives at once (a fleet starting, or reconnecting after a collector restart) comes back spread
 * over the time the collector needs for it, not all after the same second to be refused again
 * (every one was told "1 s" when the service time was short, however many were waiting; measured
 * with bench/fleet/restart.ts, docs/fleet-simulator.md "After a collector restart").
 * It is stretched while refusals outnumber half the admissions (over the last seconds): a
 * refusal is not free (28-38 µs of collector CPU when many arrive together, up to ~130 µs alone,
 * measured unthrottled, docs/scale-out.md): 10,000 agents told 1 s and coming back into a full
 * collector again and again would cost it a good part of a core. Longer waits for the refused do not leave the collector idle
 * at overload: an admitted agent with more spooled sends again at once (agent/uplink.ts).
 */
export interface Admission {
  /** Reserve a slot for a body of `bytes`; false when the collector is at capacity. */
  tryEnter(bytes?: number): boolean;
  /** Release the slot; `serviceMs` is how long the admitted request took, `bytes` as entered. */
  leave(serviceMs: number, bytes?: number): void;
  /**
   * Whole seconds for the Retry-After of one refused batch; books that batch's slot, so call it
   * once per refusal.
   */
  retryAfterSeconds(): number;
  readonly inFlight: number;
  readonly bytesInFlight: number;
  readonly shed: number;
}

/** Refusals per admission above which Retry-After is stretched (see the module note). */
export const REFUSALS_PER_ADMISSION = 0.5;
/** The longest Retry-After, s: the uplink's default backoff cap (telemetry.backoff.max). */
export const MAX_RETRY_AFTER_S = 30;

/**
 * @param maxInFlight batches admitted at once
 * @param maxBytes bytes of their bodies at once
 * @param now a clock in ms (the refusal ratio is taken per second of it)
 */
export function createAdmission(maxInFlight: number, maxBytes = Infinity, now: () => number = () => performance.now()): Admission {
  let inFlight = 0, bytesInFlight = 0, shed = 0;
  // Exponentially weighted service time of admitted requests (α = 1/16), ms; starts at 10 ms.
  let ewmaMs = 10;
  // Refusals per admission, per second, weighted over the last seconds (α = 1/2).
  let windowStart = now(), windowShed = 0, windowAdmitted = 0, ratio = 0;
  // The last slot booked for a refused batch (the `now` clock), at most MAX_RETRY_AFTER_S ahead.
  let bookedUntil = -Infinity;
  const roll = () => {
    const t = now();
    if (t - windowStart < 1000) return;
    // A second with nothing at all (t - windowStart ≥ 2 s) counts as a calm one.
    const r = t - windowStart >= 2000 ? 0 : windowShed / Math.max(1, windowAdmitted);
    ratio += (r - ratio) / 2;
    windowStart = t, windowShed = 0, windowAdmitted = 0;
  };
  return {
    tryEnter(bytes = 0) {
      roll();
      if (inFlight >= maxInFlight || (inFlight > 0 && bytesInFlight + bytes > maxBytes)) {
        shed++;
        windowShed++;
        return false;
      }
      inFlight++;
      windowAdmitted++;
      bytesInFlight += bytes;
      return true;
    },
    leave(serviceMs, bytes = 0) {
      inFlight--;
      bytesInFlight -= bytes;
      ewmaMs += (serviceMs - ewmaMs) / 16;
    },
    retryAfterSeconds() {
      // Requests in flight are served concurrently (group commit): the backlog drains in about one service time.
      const stretch = Math.max(1, ratio / REFUSALS_PER_ADMISSION);
      const drain = Math.ceil((2 * ewmaMs * stretch) / 1000);
      // This batch's slot: one admission time (service time ÷ batches served at once) after the last one booked.
      const t = now();
      bookedUntil = Math.min(t + MAX_RETRY_AFTER_S * 1000, Math.max(bookedUntil, t) + ewmaMs / Math.max(1, inFlight));
      const slot = Math.ceil((bookedUntil - t) / 1000);
      return Math.min(MAX_RETRY_AFTER_S, Math.max(1, drain, slot));
    },
    get inFlight() {
      return inFlight;
    },
    get bytesInFlight() {
      return bytesInFlight;
    },
    get shed() {
      return shed;
    },
  };
}
