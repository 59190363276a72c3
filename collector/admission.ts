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
 */
export interface Admission {
  /** Reserve a slot for a body of `bytes`; false when the collector is at capacity. */
  tryEnter(bytes?: number): boolean;
  /** Release the slot; `serviceMs` is how long the admitted request took, `bytes` as entered. */
  leave(serviceMs: number, bytes?: number): void;
  /** Whole seconds for Retry-After. */
  retryAfterSeconds(): number;
  readonly inFlight: number;
  readonly bytesInFlight: number;
  readonly shed: number;
}

export function createAdmission(maxInFlight: number, maxBytes = Infinity): Admission {
  let inFlight = 0, bytesInFlight = 0, shed = 0;
  // Exponentially weighted service time of admitted requests (α = 1/16), ms; starts at 10 ms.
  let ewmaMs = 10;
  return {
    tryEnter(bytes = 0) {
      if (inFlight >= maxInFlight || (inFlight > 0 && bytesInFlight + bytes > maxBytes)) {
        shed++;
        return false;
      }
      inFlight++;
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
      return Math.min(30, Math.max(1, Math.ceil((2 * ewmaMs) / 1000)));
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
