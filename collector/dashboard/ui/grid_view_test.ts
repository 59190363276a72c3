import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { cellCode, FLAG_ONLINE, FLAG_RUNNING, GRID_CELLS, GRID_FORMAT, GRID_VERDICTS, type GridRow, type GridSnapshot, modelFromSnapshot } from "../../fleet_grid_format.ts";
import { buildRows, countAll, fleetQueryHash, labelChoices, parseFleetQuery, probeChoices, standingOf, windowOf } from "./grid_view.ts";

const ON = FLAG_RUNNING | FLAG_ONLINE;
function grid(nodes: GridRow[]): GridSnapshot {
  return {
    format: GRID_FORMAT, epoch: "e1", version: 1, generatedAt: 0, staleAfterMs: 120_000, verdicts: GRID_VERDICTS, cells: GRID_CELLS,
    probes: ["n4", "app", "n3"],
    labelSets: [{ region: "north", site: "mec-1", role: "upf" }, { region: "north", site: "mec-2", role: "smf" }, { region: "south", site: "core-1", role: "upf" }, {}],
    // Profiles list probe indexes sorted by name: app, n3, n4.
    profiles: [[1, 0], [1, 2, 0]],
    nodes,
  };
}
const m = modelFromSnapshot(grid([
  ["upf-1", 1, ON, 0, 0, "11"],
  ["upf-2", 3, ON, 0, 0, cellCode("unhealthy", "refused") + "1"],
  ["smf-1", 0, ON, 1, 1, "111"],
  ["upf-9", 2, ON, 2, 1, "1" + cellCode("unhealthy") + "1"],
  ["upf-7", 1, FLAG_RUNNING, 2, 0, "11"],
  ["odd", 0, ON, 3, 0, "00"],
]));
const q = (s: string) => parseFleetQuery(new URLSearchParams(s));

describe("grid view model", () => {
  it("derives each node's standing: stale or stopped is NO DATA, no verdict record with healthy probes is UP", () => {
    assert.deepEqual([...m.nodes.values()].map(standingOf), ["UP", "DOWN", "UP", "DEGRADED", "NO DATA", "NO DATA"]);
    assert.deepEqual(countAll(m), { DOWN: 1, DEGRADED: 1, "NO DATA": 2, UP: 2 });
  });

  it("groups by region then site, worst group first, with counts, nodes worst first", () => {
    const r = buildRows(m, q(""));
    const lines = r.rows.map((x) => (x.kind === "group" ? `${"  ".repeat(x.level)}[${x.title} ${x.total} D${x.counts.DOWN}]` : `${"  ".repeat(2)}${x.node.id}`));
    assert.deepEqual(lines, [
      "[north 3 D1]", "  [mec-1 2 D1]", "    upf-2", "    upf-1", "  [mec-2 1 D0]", "    smf-1",
      "[south 2 D0]", "  [core-1 2 D0]", "    upf-9", "    upf-7",
      "[(no region) 1 D0]", "  [(no site) 1 D0]", "    odd",
    ]);
    assert.deepEqual(r.columns, ["app", "n3", "n4"]);
    assert.equal(r.shown, 6);
  });

  it("hides a collapsed group's nodes and keeps its header", () => {
    const r = buildRows(m, q("group=region"), new Set(["r:north"]));
    assert.deepEqual(r.rows.map((x) => (x.kind === "group" ? `[${x.title}${x.collapsed ? " +" : ""}]` : x.node.id)), ["[north +]", "[south]", "upf-9", "upf-7", "[(no region)]", "odd"]);
  });

  it("filters by label, standing, probe and cell state, and searches the id", () => {
    const ids = (s: string) => buildRows(m, q(s)).rows.flatMap((x) => (x.kind === "node" ? [x.node.id] : []));
    assert.deepEqual(ids("group=none&region=north"), ["upf-2", "smf-1", "upf-1"]);
    assert.deepEqual(ids("group=none&state=NO DATA"), ["odd", "upf-7"]);
    assert.deepEqual(ids("group=none&probe=n3"), ["upf-9", "smf-1"]);
    assert.deepEqual(buildRows(m, q("probe=n3")).columns, ["n3"]);
    assert.deepEqual(ids("group=none&cell=unhealthy"), ["upf-2", "upf-9"]);
    assert.deepEqual(ids("group=none&probe=n4&cell=unhealthy"), []);
    assert.deepEqual(ids("group=none&probe=app&cell=unhealthy"), ["upf-2"]);
    assert.deepEqual(ids("group=none&q=UPF-"), ["upf-2", "upf-9", "upf-7", "upf-1"]);
  });

  it("keeps the query in the hash and reads it back", () => {
    const s = "#/?region=north&state=DOWN&probe=n4&cell=unhealthy&q=upf&group=none";
    assert.equal(fleetQueryHash(q(s.slice(3))), s);
    assert.equal(fleetQueryHash(q("")), "#/");
    assert.equal(q("state=BOGUS&group=x").state, undefined);
  });

  it("lists label keys (region, site, role first) and probe names from the grid", () => {
    assert.deepEqual(labelChoices(m).map((c) => c.key), ["region", "site", "role"]);
    assert.deepEqual(labelChoices(m)[0].values, ["north", "south"]);
    assert.deepEqual(probeChoices(m), ["app", "n3", "n4"]);
  });

  it("draws a window of rows around the scroll position", () => {
    assert.deepEqual(windowOf(10_000, 0, 800, 40), { start: 0, end: 28 });
    assert.deepEqual(windowOf(10_000, 40_000, 800, 40), { start: 992, end: 1028 });
    assert.deepEqual(windowOf(10, 40_000, 800, 40), { start: 992, end: 992 });
  });
});
