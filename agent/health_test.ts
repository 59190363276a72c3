import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { aggregate, INITIAL_HEALTH, nextProbeHealth, type ProbeHealth } from "./health.ts";

const run = (oks: boolean[], rise = 2, fall = 3): ProbeHealth[] => {
  const out: ProbeHealth[] = [];
  let h = INITIAL_HEALTH;
  for (const ok of oks) {
    h = nextProbeHealth(h, ok, { rise, fall });
    out.push(h);
  }
  return out;
};

describe("nextProbeHealth()", () => {
  it("leaves unknown on the first result", () => {
    assert.equal(run([true])[0].state, "healthy");
    assert.equal(run([false])[0].state, "unhealthy");
  });
  it("needs fall consecutive failures to turn unhealthy", () => {
    const s = run([true, false, false, true, false, false, false]).map((h) => h.state);
    assert.deepEqual(s, ["healthy", "healthy", "healthy", "healthy", "healthy", "healthy", "unhealthy"]);
  });
  it("needs rise consecutive successes to turn healthy again", () => {
    const s = run([false, true, false, true, true]).map((h) => h.state);
    assert.deepEqual(s, ["unhealthy", "unhealthy", "unhealthy", "unhealthy", "healthy"]);
  });
  it("with rise = fall = 1 follows every result", () => {
    assert.deepEqual(run([true, false, true], 1, 1).map((h) => h.state), ["healthy", "unhealthy", "healthy"]);
  });
});

describe("aggregate()", () => {
  it("is DOWN with a critical probe unhealthy and names it", () => {
    const v = aggregate([
      { name: "n4", critical: true, state: "unhealthy" },
      { name: "sip", critical: false, state: "unhealthy" },
      { name: "n3", critical: true, state: "healthy" },
    ]);
    assert.equal(v.status, "DOWN");
    assert.deepEqual(v.downCauses, ["n4"]);
    assert.deepEqual(v.degradedCauses, ["sip"]);
  });
  it("is DEGRADED with only non-critical probes unhealthy", () => {
    assert.equal(aggregate([{ name: "a", critical: false, state: "unhealthy" }, { name: "b", critical: true, state: "healthy" }]).status, "DEGRADED");
  });
  it("is UP while probes are unknown, but not yet criticalKnown", () => {
    const v = aggregate([{ name: "a", critical: true, state: "unknown" }]);
    assert.equal(v.status, "UP");
    assert.equal(v.criticalKnown, false);
  });
});
