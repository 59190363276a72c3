import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { INITIAL_VERDICT, sameVerdict, stepVerdict } from "./verdict.ts";

const crit = (name: string, state: "unknown" | "healthy" | "unhealthy") => ({ name, critical: true, state });
const opt = (name: string, state: "unknown" | "healthy" | "unhealthy") => ({ name, critical: false, state });

describe("stepVerdict()", () => {
  it("announces nothing before the probes are scheduled", () => {
    const s = stepVerdict(INITIAL_VERDICT, [crit("a", "unknown")], false);
    assert.equal(s.announce, undefined);
    assert.equal(s.state.verdict.status, "UP");
    assert.equal(s.state.verdict.criticalKnown, false);
    assert.equal(s.changed, true); // criticalKnown went from true (no probes) to false
  });

  it("announces the first complete verdict even when it stays UP", () => {
    const s1 = stepVerdict(INITIAL_VERDICT, [crit("a", "unknown")], true);
    assert.equal(s1.announce, undefined);
    const s2 = stepVerdict(s1.state, [crit("a", "healthy")], true);
    assert.deepEqual(s2.announce, { from: "UP", to: "UP", causes: [] });
    const s3 = stepVerdict(s2.state, [crit("a", "healthy")], true);
    assert.equal(s3.announce, undefined);
    assert.equal(s3.changed, false);
  });

  it("announces DOWN with critical causes first, then the degraded ones", () => {
    const up = stepVerdict(INITIAL_VERDICT, [crit("a", "healthy"), opt("b", "healthy")], true).state;
    const down = stepVerdict(up, [crit("a", "unhealthy"), opt("b", "unhealthy")], true);
    assert.deepEqual(down.announce, { from: "UP", to: "DOWN", causes: ["a", "b"] });
    const degraded = stepVerdict(down.state, [crit("a", "healthy"), opt("b", "unhealthy")], true);
    assert.deepEqual(degraded.announce, { from: "DOWN", to: "DEGRADED", causes: ["b"] });
  });

  it("re-encodes when the causes change but the status does not, without announcing", () => {
    const down = stepVerdict(INITIAL_VERDICT, [crit("a", "unhealthy"), crit("b", "healthy")], true).state;
    const more = stepVerdict(down, [crit("a", "unhealthy"), crit("b", "unhealthy")], true);
    assert.equal(more.changed, true);
    assert.equal(more.announce, undefined);
    assert.deepEqual(more.state.verdict.downCauses, ["a", "b"]);
  });
});

describe("sameVerdict()", () => {
  it("compares status, readiness and causes", () => {
    const a = stepVerdict(INITIAL_VERDICT, [crit("a", "unhealthy")], true).state.verdict;
    const b = stepVerdict(INITIAL_VERDICT, [crit("a", "unhealthy")], true).state.verdict;
    assert.equal(sameVerdict(a, b), true);
    assert.equal(sameVerdict(a, INITIAL_VERDICT.verdict), false);
  });
});
