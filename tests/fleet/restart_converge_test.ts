/**
 * After a collector restart, a whole fleet is accepted again within a bound an operator can plan
 * with: 10,000 emulated agents with the uplink's default backoff (500 ms doubling to 30 s, equal
 * jitter, at least Retry-After) against a real collector process that is stopped for longer than
 * the backoff needs to reach its cap, then started again on the same port and database
 * (bench/fleet/restart.ts). The bound and its measured figures: docs/fleet-simulator.md "After a
 * collector restart".
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { measureRestart } from "../../bench/fleet/restart.ts";

/** Agents; EDGEPROBE_RESTART_AGENTS changes it for a lab run. */
const AGENTS = Number(process.env.EDGEPROBE_RESTART_AGENTS ?? 10_000);
/** The uplink's default backoff (telemetry.backoff, docs/telemetry.md). */
const BACKOFF = { initial: 500, max: 30_000 };
/**
 * Down long enough that every agent's backoff is at its cap: with equal jitter the waits before
 * the seventh attempt add up to at most 0.5 + 1 + 2 + 4 + 8 + 16 = 31.5 s, so after 35 s every
 * agent waits 15-30 s between attempts, the worst case for the return.
 */
const OUTAGE_MS = 35_000;
/**
 * Every agent's next attempt comes at most `BACKOFF.max` after the collector listens again;
 * what an agent sends then is accepted at once or refused with a Retry-After it honours. The rest
 * is the collector's work: CONVERGE_SLACK_MS for 10,000 catch-up batches (measured: see the docs).
 */
const CONVERGE_SLACK_MS = 15_000;

describe("a collector restart under a fleet", () => {
  it(`accepts every one of ${AGENTS} agents again within the backoff cap plus the collector's catch-up`, { timeout: 180_000 }, async () => {
    const r = await measureRestart({ agents: AGENTS, outageMs: OUTAGE_MS, backoffMs: BACKOFF, steadyMs: 2000, convergeTimeoutMs: 90_000, log: (l) => console.log(`restart@${AGENTS}: ${l}`) });
    console.log(`restart@${AGENTS}: ${JSON.stringify(r)}`);
    assert.ok(r.failedDuringOutage > 0, "sends failed while the collector was down");
    assert.ok(r.backingOffAtRestart > AGENTS * 0.9, `${r.backingOffAtRestart} of ${AGENTS} agents were backing off at the restart`);
    assert.ok(r.convergeMs.all !== undefined, `not every agent was accepted again within 90 s: ${JSON.stringify(r)}`);
    assert.ok(r.convergeMs.all <= BACKOFF.max + CONVERGE_SLACK_MS, `every agent accepted again after ${r.convergeMs.all} ms`);
    // Spread by the jitter, not all at the cap: half the fleet is back well before it.
    assert.ok(r.convergeMs.p50 < BACKOFF.max * 0.75, `half the fleet back after ${r.convergeMs.p50} ms`);
  });
});
