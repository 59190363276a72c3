import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { initialPack, type MemberLoad, nextPack, PACK_DEFAULTS, type PackState, packShare } from "./lease_policy.ts";

const load = (cpu: number, behind = false, id = "m"): MemberLoad => ({ id, cpu, behind });
const TICK = 1000;

/**
 * A cluster of `members` collectors whose work is `work(t)` cores, spread evenly over the `k`
 * active ones; each busy process pays `fixed` on top (the measured fixed cost of a busy process,
 * about 0.08 core, docs/scale-out.md "Sixth pass"). Returns k per tick.
 */
function simulate(members: number, ticks: number, work: (t: number) => number, fixed = 0.08): number[] {
  let s = initialPack(0);
  const out: number[] = [];
  for (let t = 0; t < ticks; t++) {
    const w = work(t);
    const active = Array.from({ length: s.k }, (_, i) => load(fixed + w / s.k, false, `c${i}`));
    s = nextPack(s, active, members, t * TICK);
    out.push(s.k);
  }
  return out;
}
const changes = (ks: number[]) => ks.reduce((n, k, i) => n + (i > 0 && k !== ks[i - 1] ? 1 : 0), 0);

describe("nextPack()", () => {
  it("stays at one member while its load is under the high-water mark", () => {
    let s = initialPack(0);
    for (let t = 1; t <= 100; t++) s = nextPack(s, [load(0.6)], 3, t * TICK);
    assert.equal(s.k, 1);
  });

  it("grows at once when an active member reaches the high-water mark, to as many as the load needs", () => {
    assert.equal(nextPack(initialPack(0), [load(0.7)], 3, 1000).k, 2);
    // 1.6 cores of work on one member (a reading above 1 can happen for a window): 3 members.
    assert.equal(nextPack(initialPack(0), [load(1.6)], 3, 1000).k, 3);
    assert.equal(nextPack(initialPack(0), [load(1.6)], 2, 1000).k, 2, "never more than the live members");
  });

  it("grows when an active member's consumers fall behind, whatever its CPU reads (a CPU quota caps the reading)", () => {
    const s = nextPack({ k: 2, changedAt: 0 }, [load(0.1), load(0.12, true)], 3, 60_000);
    assert.equal(s.k, 3);
    assert.equal(s.changedAt, 60_000);
  });

  it("drops one member only after the load fitted into one fewer under the low-water mark for the dwell", () => {
    let s: PackState = { k: 2, changedAt: 0 };
    // 0.15 + 0.15 = 0.3 fits into one member under 0.4.
    s = nextPack(s, [load(0.15), load(0.15)], 3, 40_000);
    assert.equal(s.k, 2, "the dwell starts now");
    assert.equal(s.lowSince, 40_000);
    s = nextPack(s, [load(0.15), load(0.15)], 3, 69_000);
    assert.equal(s.k, 2, "29 s: not yet");
    s = nextPack(s, [load(0.15), load(0.15)], 3, 70_000);
    assert.equal(s.k, 1, "30 s of fitting: one member fewer");
    assert.equal(s.changedAt, 70_000);
  });

  it("a single tick above the low-water mark restarts the dwell", () => {
    let s: PackState = { k: 2, changedAt: 0 };
    s = nextPack(s, [load(0.15), load(0.15)], 3, 40_000);
    s = nextPack(s, [load(0.3), load(0.15)], 3, 60_000);
    assert.equal(s.lowSince, undefined);
    s = nextPack(s, [load(0.15), load(0.15)], 3, 61_000);
    s = nextPack(s, [load(0.15), load(0.15)], 3, 80_000);
    assert.equal(s.k, 2, "19 s since the dwell restarted");
    s = nextPack(s, [load(0.15), load(0.15)], 3, 91_000);
    assert.equal(s.k, 1);
  });

  it("does not shrink within the dwell after a change, even when the load already fits", () => {
    let s = nextPack(initialPack(0), [load(0.9)], 3, 1000); // grew at 1 s
    assert.equal(s.k, 2);
    for (let t = 2; t <= 31; t++) s = nextPack(s, [load(0.05), load(0.05)], 3, t * 1000);
    assert.equal(s.k, 2, "30 s after the grow, 29 s of fitting");
    s = nextPack(s, [load(0.05), load(0.05)], 3, 32_000);
    assert.equal(s.k, 1);
    // A member died 10 s ago (k 3 → 2 then): the load has fitted for longer, but the change is recent.
    const after = nextPack({ k: 3, changedAt: 0, lowSince: 0 }, [load(0.05), load(0.05)], 2, 90_000);
    assert.equal(after.k, 2);
    assert.equal(nextPack(after, [load(0.05), load(0.05)], 2, 100_000).k, 2, "10 s after the change");
    assert.equal(nextPack(after, [load(0.05), load(0.05)], 2, 120_000).k, 1, "30 s after it");
  });

  it("does not shrink while an active member's entry is missing (its load unknown) or one is behind", () => {
    let s: PackState = { k: 2, changedAt: 0, lowSince: 0 };
    s = nextPack(s, [load(0.05)], 3, 100_000);
    assert.equal(s.k, 2);
    s = nextPack({ k: 2, changedAt: 0, lowSince: 0 }, [load(0.05), load(0.05, true)], 3, 100_000);
    assert.equal(s.k, 3, "behind: grows instead");
  });

  it("follows the members down when some die, and marks that as a change", () => {
    const s = nextPack({ k: 3, changedAt: 0 }, [load(0.2), load(0.2)], 2, 50_000);
    assert.equal(s.k, 2);
    assert.equal(s.changedAt, 50_000);
  });

  it("a simulated day: load rises past one member, falls back, rises again; no flapping in between", () => {
    // Work in cores per tick (1 s): 0.1 for 60 s, ramp to 1.2 over 120 s, hold 60 s, ramp down to 0.05, hold 120 s.
    const work = (t: number) => t < 60 ? 0.1 : t < 180 ? 0.1 + (t - 60) / 120 * 1.1 : t < 240 ? 1.2 : t < 360 ? 1.2 - (t - 240) / 120 * 1.15 : 0.05;
    const ks = simulate(3, 480, work);
    assert.equal(ks[59], 1, "light: one member");
    assert.equal(Math.max(...ks.slice(180, 240)), 3, "1.2 cores: all three");
    assert.equal(ks[479], 1, "light again: packed back onto one");
    // Up 1→2→3 and down 3→2→1 at most: four changes, each step down at least the dwell after the previous change.
    assert.ok(changes(ks) <= 4, `k per tick changed ${changes(ks)} times: ${ks.join("")}`);
  });

  it("property: k stays within 1..members, never drops within the dwell of a change, and drops by one at a time", () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 5 }),
      fc.array(fc.record({ cpu: fc.double({ min: 0, max: 1.5, noNaN: true }), behind: fc.boolean(), dt: fc.integer({ min: 100, max: 5000 }), died: fc.boolean() }), { minLength: 1, maxLength: 200 }),
      (start, steps) => {
        let members = 5, now = 0, s = initialPack(0, start);
        let lastChange = 0;
        for (const x of steps) {
          now += x.dt;
          if (x.died && members > 1 && x.dt > 4900) members--;
          const prev = s;
          const active = Array.from({ length: Math.min(prev.k, members) }, (_, i) => load(x.cpu * (i + 1) / (prev.k + 1), x.behind && i === 0));
          s = nextPack(prev, active, members, now);
          assert.ok(s.k >= 1 && s.k <= members, `k ${s.k} of ${members}`);
          if (s.k < Math.min(prev.k, members)) {
            assert.equal(s.k, Math.min(prev.k, members) - 1, "one at a time");
            assert.ok(now - lastChange >= PACK_DEFAULTS.dwellMs, `dropped ${now - lastChange} ms after the last change`);
          }
          if (s.k !== prev.k) lastChange = now;
        }
      },
    ), { numRuns: 300 });
  });

  it("property: a constant load never changes k once settled (no flapping at any load)", () => {
    fc.assert(fc.property(fc.double({ min: 0, max: 2.5, noNaN: true }), fc.integer({ min: 1, max: 4 }), (work, members) => {
      const ks = simulate(members, 400, () => work);
      // Settled after at most one dwell of shrinking per member (or growing at once).
      const tail = ks.slice(members * 31 + 5);
      assert.equal(changes(tail), 0, `k per tick at ${work} cores: ${ks.join("")}`);
    }), { numRuns: 200 });
  });
});

describe("packShare()", () => {
  it("gives each of the first k members ceil(partitions / k), the others nothing", () => {
    assert.deepEqual([0, 1, 2].map((i) => packShare(i, 1, 16)), [16, 0, 0]);
    assert.deepEqual([0, 1, 2].map((i) => packShare(i, 2, 16)), [8, 8, 0]);
    assert.deepEqual([0, 1, 2].map((i) => packShare(i, 3, 16)), [6, 6, 6]);
    assert.equal(packShare(-1, 3, 16), 0);
  });
});
