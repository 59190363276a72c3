import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { RecoveryTracker } from "./recovery_tracker.ts";
import { burstStats } from "./burst_stats.ts";

describe("RecoveryTracker.observe()", () => {
  it("stays quiet on the first value and on repeats", () => {
    const t = new RecoveryTracker(256);
    assert.equal(t.observe(7), undefined);
    assert.equal(t.observe(7), undefined);
    assert.equal(t.restarts, 0);
  });
  it("counts a restart counter roll-over 255 → 0 as forward (23.007 §18)", () => {
    const t = new RecoveryTracker(256);
    t.observe(255);
    assert.deepEqual(t.observe(0), { previous: 255, current: 0, direction: "forward" });
    assert.equal(t.restarts, 1);
  });
  it("reports a value that went back as a backward restart", () => {
    const t = new RecoveryTracker(2 ** 32);
    t.observe(3_900_000_000);
    assert.equal(t.observe(3_800_000_000)?.direction, "backward");
  });
});

describe("burstStats()", () => {
  it("computes loss, RTT summary and mean consecutive RTT difference", () => {
    assert.deepEqual(burstStats([1, undefined, 3, 2]), {
      sent: 4, received: 3, lossPercent: 25, rttMinMs: 1, rttAvgMs: 2, rttMaxMs: 3, rttJitterMs: 1.5,
    });
  });
  it("handles total loss", () => {
    assert.equal(burstStats([undefined, undefined]).lossPercent, 100);
  });
});
