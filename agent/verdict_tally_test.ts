import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { ProbeState } from "./events.ts";
import { aggregate, type ProbeStanding } from "./health.ts";
import { createVerdictTally } from "./verdict_tally.ts";

const STATES: readonly ProbeState[] = ["unknown", "healthy", "unhealthy"];

describe("createVerdictTally()", () => {
  it("gives aggregate()'s verdict after every state change of any sequence", () => {
    const STATE = fc.constantFrom<ProbeState>(...STATES);
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }), fc.array(fc.tuple(fc.nat(), STATE), { maxLength: 300 }), (criticals, moves) => {
        const probes: ProbeStanding[] = criticals.map((critical, i) => ({ name: `p${(i * 7) % criticals.length}-${i}`, critical, state: "unknown" }));
        const tally = createVerdictTally(probes);
        for (const [k, to] of moves) {
          const i = k % probes.length;
          const p = probes[i];
          probes[i] = { ...p, state: to };
          tally.move({ name: p.name, critical: p.critical, from: p.state, to });
          const want = aggregate(probes);
          assert.equal(tally.status(), want.status);
          assert.equal(tally.criticalKnown(), want.criticalKnown);
        }
        assert.deepEqual(tally.verdict(), aggregate(probes));
      }),
      { numRuns: 300 },
    );
  });

  it("starts from the standings it is given, and over again with reset()", () => {
    const tally = createVerdictTally([{ name: "n4", critical: true, state: "unhealthy" }, { name: "sip", critical: false, state: "unhealthy" }, { name: "n3", critical: true, state: "unknown" }]);
    assert.deepEqual(tally.verdict(), { status: "DOWN", downCauses: ["n4"], degradedCauses: ["sip"], criticalKnown: false });
    tally.reset([{ name: "sip", critical: false, state: "unhealthy" }]);
    assert.deepEqual(tally.verdict(), { status: "DEGRADED", downCauses: [], degradedCauses: ["sip"], criticalKnown: true });
    tally.reset([]);
    assert.deepEqual(tally.verdict(), aggregate([]));
  });

  it("builds the sorted causes once per change that touched them, not per look", () => {
    const tally = createVerdictTally([{ name: "b", critical: true, state: "healthy" }, { name: "a", critical: true, state: "healthy" }]);
    tally.move({ name: "b", critical: true, from: "healthy", to: "unhealthy" });
    const v = tally.verdict();
    assert.equal(tally.verdict(), v); // the same object: kept
    assert.equal(tally.move({ name: "c", critical: false, from: "unknown", to: "healthy" }), false); // no cause, no readiness change
    assert.equal(tally.verdict(), v);
    assert.equal(tally.move({ name: "c", critical: false, from: "healthy", to: "unhealthy" }), true);
    assert.equal(tally.move({ name: "c", critical: false, from: "unhealthy", to: "healthy" }), true);
    tally.move({ name: "a", critical: true, from: "healthy", to: "unhealthy" });
    assert.deepEqual(tally.verdict().downCauses, ["a", "b"]);
  });

  it("counts a probe from its own record when a move reports another criticality (a reload under way)", () => {
    const tally = createVerdictTally([{ name: "x", critical: true, state: "unhealthy" }]);
    // The reload made x non-critical, keeping its state; its next result comes before the recount.
    tally.move({ name: "x", critical: false, from: "unhealthy", to: "healthy" });
    assert.deepEqual(tally.verdict(), { status: "UP", downCauses: [], degradedCauses: [], criticalKnown: true });
    tally.move({ name: "y", critical: false, from: "unknown", to: "unhealthy" }); // a probe added meanwhile
    assert.deepEqual(tally.verdict().degradedCauses, ["y"]);
  });

  it("follows readiness when a critical probe leaves unknown, without an unhealthy move", () => {
    const tally = createVerdictTally([{ name: "a", critical: true, state: "unknown" }]);
    assert.equal(tally.verdict().criticalKnown, false);
    tally.move({ name: "a", critical: true, from: "unknown", to: "healthy" });
    assert.equal(tally.criticalKnown(), true);
    assert.equal(tally.verdict().criticalKnown, true);
  });

  it("costs the same per change with 5,000 unhealthy probes as with one (a mass flip)", () => {
    // The attack: every probe of a large agent turns unhealthy, then healthy, one by one. Each
    // move touches two counters or sets; the sorted lists are built only when asked.
    const n = 5000;
    const tally = createVerdictTally(Array.from({ length: n }, (_, i) => ({ name: `gnb-${i}`, critical: i % 2 === 0, state: "healthy" as const })));
    for (let i = 0; i < n; i++) tally.move({ name: `gnb-${i}`, critical: i % 2 === 0, from: "healthy", to: "unhealthy" });
    assert.equal(tally.status(), "DOWN");
    assert.equal(tally.verdict().downCauses.length, n / 2);
    assert.equal(tally.verdict().degradedCauses.length, n / 2);
    for (let i = 0; i < n; i++) tally.move({ name: `gnb-${i}`, critical: i % 2 === 0, from: "unhealthy", to: "healthy" });
    assert.deepEqual(tally.verdict(), { status: "UP", downCauses: [], degradedCauses: [], criticalKnown: true });
  });
});
