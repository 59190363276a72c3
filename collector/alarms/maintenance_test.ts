import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { activeWindows, maintenanceInputSchema, maintenanceIntervals, newWindow, occurrences } from "./maintenance.ts";

const D = Date.UTC(2026, 10, 23); // a Monday
const H = 3_600_000;

describe("maintenance windows", () => {
  it("one-off: by node id, clipped to the asked range", () => {
    const w = newWindow(maintenanceInputSchema.parse({ name: "swap", nodes: ["upf-1"], start: D + H, end: D + 3 * H }), "w1", "ops", D);
    assert.deepEqual(occurrences(w, D, D + 2 * H), [[D + H, D + 2 * H]]);
    assert.equal(activeWindows([w], "upf-1", {}, D + 2 * H).length, 1);
    assert.equal(activeWindows([w], "upf-2", {}, D + 2 * H).length, 0);
    assert.equal(activeWindows([w], "upf-1", {}, D + 3 * H).length, 0, "end is exclusive");
  });
  it("recurring weekly by label selector, in UTC, including an occurrence that began before the range", () => {
    const w = newWindow(maintenanceInputSchema.parse({ name: "nightly", labels: { region: "north" }, recurrence: { every: "week", days: [1, 3], at: "23:00", duration: "2h" } }), "w2", "ops", D);
    const occ = occurrences(w, D, D + 7 * 24 * H);
    assert.deepEqual(occ.map(([s]) => new Date(s).toISOString()), ["2026-11-23T23:00:00.000Z", "2026-11-25T23:00:00.000Z"]);
    // From Tuesday 00:30: Monday's window is still open until 01:00.
    assert.deepEqual(occurrences(w, D + 24.5 * H, D + 25.5 * H), [[D + 24.5 * H, D + 25 * H]]);
    assert.equal(activeWindows([w], "x", { region: "north" }, D + 23.5 * H).length, 1);
    assert.equal(activeWindows([w], "x", { region: "south" }, D + 23.5 * H).length, 0);
    assert.deepEqual(maintenanceIntervals([w, w], "x", { region: "north" }, D, D + 48 * H), [[D + 23 * H, D + 25 * H]], "overlaps merge");
  });
  it("refuses windows that select nothing, mix one-off and recurring, or run backwards", () => {
    for (const bad of [
      { name: "x", start: D, end: D + H },
      { name: "x", nodes: ["a"], start: D, end: D + H, recurrence: { every: "day", at: "01:00", duration: "1h" } },
      { name: "x", nodes: ["a"], start: D + H, end: D },
      { name: "x", nodes: ["a"], recurrence: { every: "day", days: [1], at: "01:00", duration: "1h" } },
      { name: "x", nodes: ["a"], recurrence: { every: "day", at: "25:00", duration: "1h" } },
    ]) assert.equal(maintenanceInputSchema.safeParse(bad).success, false, JSON.stringify(bad));
  });
});
