/**
 * @module The wait an overloaded collector asks for (`Retry-After`, RFC 9110 §10.2.3), with
 * jitter so a fleet told "1 s" at the same moment does not come back in the same millisecond.
 */

/** Milliseconds from a Retry-After value (delay-seconds or an HTTP-date); undefined if absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // An HTTP-date is always in GMT (RFC 9110 §5.6.7); anything else is not one.
  if (!/GMT$/.test(v)) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/**
 * Exponential backoff with equal jitter (half fixed, half random), capped at `max`, and never
 * shorter than what the server asked for; the server's wait gets up to +50 % jitter on top.
 */
export function retryDelay(attempt: number, initial: number, max: number, random: () => number, retryAfterMs?: number): number {
  const d = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  const own = d / 2 + random() * (d / 2);
  if (retryAfterMs === undefined) return Math.round(own);
  return Math.round(Math.max(own, retryAfterMs * (1 + random() * 0.5)));
}

/**
 * The attempt a failure's backoff counts from (the `attempt` of retryDelay): consecutive failures
 * of one kind count up, and a change of kind starts again at 0. The two kinds: the server answered
 * with a Retry-After (it is up and says when), and no such answer (a refused connection, a
 * timeout, a 5xx without Retry-After). After an outage an agent's count sits at the cap (30 s by
 * default); carried over, the returned collector's first 503 made the agent wait 15-30 s again
 * whatever its Retry-After asked, and a fleet refused once after a collector restart took another
 * half minute per refusal to come back (docs/fleet-simulator.md "After a collector restart").
 * @param attempt failures of the previous kind in a row
 * @param wasAsked whether those carried a Retry-After
 * @param asked whether this one does
 */
export function streakAttempt(attempt: number, wasAsked: boolean, asked: boolean): number {
  return wasAsked === asked ? attempt : 0;
}
