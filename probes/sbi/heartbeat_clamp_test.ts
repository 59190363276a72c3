import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { adoptHeartbeatTimer, HEARTBEAT_TIMER_RANGE_S } from "./heartbeat_clamp.ts";

describe("adoptHeartbeatTimer()", () => {
  it("adopts values inside the range and clamps the rest, saying so", () => {
    assert.deepEqual(adoptHeartbeatTimer(10), { intervalMs: 10_000, clamped: false });
    assert.deepEqual(adoptHeartbeatTimer(HEARTBEAT_TIMER_RANGE_S.max), { intervalMs: 3_600_000, clamped: false });
    assert.deepEqual(adoptHeartbeatTimer(2_147_484), { intervalMs: 3_600_000, clamped: true }, "the first value that overflows a timer");
    assert.deepEqual(adoptHeartbeatTimer(2 ** 32), { intervalMs: 3_600_000, clamped: true });
    assert.deepEqual(adoptHeartbeatTimer(0), { intervalMs: 1000, clamped: true });
  });
});
