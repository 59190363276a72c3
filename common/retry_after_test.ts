import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseRetryAfter, retryDelay, streakAttempt } from "./retry_after.ts";

describe("Retry-After and backoff", () => {
  it("reads delay-seconds and an HTTP-date (RFC 9110 §10.2.3), nothing else", () => {
    const now = Date.UTC(2026, 10, 30, 7, 0, 0);
    assert.equal(parseRetryAfter("3", now), 3000);
    assert.equal(parseRetryAfter(" 0 ", now), 0);
    assert.equal(parseRetryAfter("Mon, 30 Nov 2026 07:00:05 GMT", now), 5000);
    assert.equal(parseRetryAfter("Mon, 30 Nov 2026 06:59:00 GMT", now), 0);
    assert.equal(parseRetryAfter(null, now), undefined);
    assert.equal(parseRetryAfter("soon", now), undefined);
    assert.equal(parseRetryAfter("-1", now), undefined);
  });

  it("never retries sooner than the server asked, and spreads a fleet told the same wait", () => {
    let seed = 7;
    // A fixed sequence (LCG) so the test is repeatable.
    const r = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const delays = Array.from({ length: 1000 }, () => retryDelay(0, 500, 30_000, r, 2000));
    assert.ok(delays.every((d) => d >= 2000 && d <= 3000));
    const distinct = new Set(delays.map((d) => Math.floor(d / 100)));
    assert.ok(distinct.size >= 9, "spread over the jitter window");
    // Without Retry-After: equal jitter, doubling, capped.
    assert.ok(Array.from({ length: 100 }, () => retryDelay(3, 500, 30_000, r)).every((d) => d >= 2000 && d <= 4000));
    assert.ok(Array.from({ length: 100 }, () => retryDelay(40, 500, 30_000, r)).every((d) => d >= 15_000 && d <= 30_000));
  });

  it("counts failures in a row per kind: a collector back from an outage gets its Retry-After, not the outage's backoff", () => {
    let seed = 11;
    const r = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    // Eight refused connections: the backoff is at its cap, 15-30 s.
    let attempt = 0, asked = false;
    for (let i = 0; i < 8; i++) (attempt = streakAttempt(attempt, asked, false), asked = false, attempt++);
    assert.ok(retryDelay(attempt, 500, 30_000, r) >= 15_000);
    // The collector is back and sheds with Retry-After: 2: the wait is 2-3 s.
    attempt = streakAttempt(attempt, asked, true);
    asked = true;
    assert.equal(attempt, 0);
    const wait = retryDelay(attempt++, 500, 30_000, r, 2000);
    assert.ok(wait >= 2000 && wait <= 3000, `${wait} ms`);
    // Refused again: the same kind counts on; then the collector is gone again: a new count.
    assert.equal(streakAttempt(attempt, asked, true), 1);
    assert.equal(streakAttempt(attempt, asked, false), 0);
  });
});
