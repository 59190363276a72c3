import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { NodeDetail, NodeSummary, ProbeView } from "../../store.ts";
import {
  applyChange,
  cellFor,
  countStandings,
  factEntries,
  type Fleet,
  fleetHash,
  historyWindow,
  filterByLabels,
  labelChoices,
  nodeHash,
  parseRoute,
  probeColumns,
  sortWorstFirst,
  STALE_AFTER_MS,
  standing,
  withDetail,
  withSummaries,
} from "./fleet_model.ts";

const NOW = 1_800_000_000_000;

function node(id: string, over: Partial<NodeSummary> = {}): NodeSummary {
  return {
    id,
    labels: { region: "north", site: "mec-1", role: "upf" },
    bootId: "b1",
    firstSeen: NOW - 60_000,
    lastSeen: NOW - 1_000,
    verdict: "UP",
    running: true,
    probes: { total: 1, healthy: 1, unhealthy: 0, unknown: 0 },
    peerRestarts: 0,
    spoolDrops: 0,
    ...over,
  };
}

function probe(name: string, over: Partial<ProbeView> = {}): ProbeView {
  return { name, kind: "pfcp", state: "healthy", peerRestarts: 0, okTotal: 3, failTotal: 0, last: { at: NOW - 500, ok: true, latencyMs: 1.234 }, ...over };
}

function detail(s: NodeSummary, probes: ProbeView[]): NodeDetail {
  return { ...s, probeList: probes, events: [] };
}

describe("standing() and countStandings()", () => {
  it("takes the verdict of a live node and NO DATA for a stale, stopped or verdict-less one", () => {
    assert.equal(standing(node("a", { verdict: "DOWN" }), NOW), "DOWN");
    assert.equal(standing(node("a", { lastSeen: NOW - STALE_AFTER_MS - 1 }), NOW), "NO DATA");
    assert.equal(standing(node("a", { running: false }), NOW), "NO DATA");
    assert.equal(standing({ ...node("a"), online: false }, NOW), "NO DATA", "the collector's online flag wins");
    assert.equal(standing({ ...node("a"), online: true }, NOW), "UP");
    assert.equal(standing(node("a", { verdict: undefined, probes: { total: 2, healthy: 0, unhealthy: 0, unknown: 2 } }), NOW), "NO DATA");
    assert.equal(standing(node("a", { verdict: undefined, probes: { total: 2, healthy: 1, unhealthy: 1, unknown: 0 } }), NOW), "NO DATA");
  });
  it("takes UP for a node that never changed verdict (the agent reports changes only) once a probe is healthy", () => {
    assert.equal(standing(node("a", { verdict: undefined, probes: { total: 2, healthy: 1, unhealthy: 0, unknown: 1 } }), NOW), "UP");
  });
  it("counts UP / DEGRADED / DOWN nodes", () => {
    const c = countStandings([node("a"), node("b", { verdict: "DOWN" }), node("c", { verdict: "DEGRADED" }), node("d", { verdict: "DOWN" }), node("e", { running: false })], NOW);
    assert.deepEqual(c, { UP: 1, DEGRADED: 1, DOWN: 2, "NO DATA": 1 });
  });
});

describe("sortWorstFirst()", () => {
  it("orders DOWN, DEGRADED, NO DATA, UP, then more unhealthy probes, then id", () => {
    const nodes = [
      node("up-b"),
      node("up-a"),
      node("deg", { verdict: "DEGRADED" }),
      node("down-1", { verdict: "DOWN", probes: { total: 3, healthy: 2, unhealthy: 1, unknown: 0 } }),
      node("down-2", { verdict: "DOWN", probes: { total: 3, healthy: 0, unhealthy: 3, unknown: 0 } }),
      node("gone", { running: false }),
    ];
    assert.deepEqual(sortWorstFirst(nodes, NOW).map((n) => n.id), ["down-2", "down-1", "deg", "gone", "up-a", "up-b"]);
  });
});

describe("labelChoices() and filterByLabels()", () => {
  const nodes = [
    node("a", { labels: { role: "upf", region: "north", site: "mec-1", rack: "r1" } }),
    node("b", { labels: { role: "smf", region: "south", site: "core-2" } }),
    node("c", { labels: { role: "upf", region: "south", site: "mec-3" } }),
  ];
  it("offers region, site, role first, then other keys, with sorted distinct values", () => {
    assert.deepEqual(labelChoices(nodes), [
      { key: "region", values: ["north", "south"] },
      { key: "site", values: ["core-2", "mec-1", "mec-3"] },
      { key: "role", values: ["smf", "upf"] },
      { key: "rack", values: ["r1"] },
    ]);
  });
  it("keeps nodes matching every set filter and ignores empty ones", () => {
    assert.deepEqual(filterByLabels(nodes, { role: "upf", region: "south" }).map((n) => n.id), ["c"]);
    assert.deepEqual(filterByLabels(nodes, { role: "", region: "south" }).map((n) => n.id), ["b", "c"]);
  });
});

describe("cellFor()", () => {
  it("shows the latency of a success and the failure kind of a failure, hatched when stale", () => {
    let fleet: Fleet = withDetail({}, detail(node("a"), [probe("n4"), probe("n3", { state: "unhealthy", last: { at: NOW, ok: false, latencyMs: 500, failure: { kind: "timeout", message: "no answer in 500 ms" } } })]));
    assert.deepEqual(probeColumns(Object.values(fleet)), ["n3", "n4"]);
    assert.equal(cellFor(fleet.a, "n4", NOW)!.text, "1.2 ms");
    const bad = cellFor(fleet.a, "n3", NOW)!;
    assert.equal(bad.state, "unhealthy");
    assert.equal(bad.text, "timeout");
    assert.match(bad.title, /timeout: no answer in 500 ms/);
    assert.equal(bad.stale, false);
    assert.equal(cellFor(fleet.a, "absent", NOW), undefined);
    // A state from the event stream ahead of the last result: the cell shows the state, not a latency.
    const ahead = applyChange(fleet, { type: "probe-state", node: "a", probe: "n4", from: "healthy", to: "unhealthy", at: NOW }).fleet;
    assert.equal(cellFor(ahead.a, "n4", NOW)!.text, "unhealthy");
    fleet = withSummaries(fleet, [node("a", { running: false })]);
    const stopped = cellFor(fleet.a, "n4", NOW)!;
    assert.equal(stopped.stale, true);
    assert.match(stopped.title, /agent stopped/);
  });
});

describe("applyChange()", () => {
  const base = withDetail({}, detail(node("a"), [probe("n4")]));
  it("turns a probe-state change into the cell's new state", () => {
    const r = applyChange(base, { type: "probe-state", node: "a", probe: "n4", from: "healthy", to: "unhealthy", at: NOW });
    assert.equal(r.fleet.a.probes.n4.state, "unhealthy");
    assert.equal(r.fleet.a.probes.n4.stateSince, NOW);
    assert.equal(r.refetch, undefined);
    assert.equal(base.a.probes.n4.state, "healthy", "the old fleet is not mutated");
  });
  it("asks for the detail of an unknown node or probe", () => {
    assert.equal(applyChange(base, { type: "probe-state", node: "b", probe: "x", from: "unknown", to: "healthy", at: NOW }).refetch, "b");
    assert.equal(applyChange(base, { type: "node", node: node("b") }).refetch, "b");
    const more = applyChange(base, { type: "node", node: node("a", { probes: { total: 2, healthy: 2, unhealthy: 0, unknown: 0 } }) });
    assert.equal(more.refetch, "a");
    assert.equal(Object.keys(more.fleet.a.probes).length, 1, "probe views are kept until the detail arrives");
  });
  it("replaces a node's summary and keeps its probes when nothing was added", () => {
    const r = applyChange(base, { type: "node", node: node("a", { verdict: "DOWN" }) });
    assert.equal(r.fleet.a.summary.verdict, "DOWN");
    assert.equal(r.refetch, undefined);
    assert.ok(r.fleet.a.probes.n4);
  });
});

describe("routes", () => {
  it("parses #/nodes/<id> and the fleet's label filters, and builds them back", () => {
    assert.deepEqual(parseRoute("#/nodes/upf%2Fnorth%201"), { page: "node", id: "upf/north 1" });
    assert.equal(nodeHash("upf/north 1"), "#/nodes/upf%2Fnorth%201");
    assert.deepEqual(parseRoute("#/?region=north&role="), { page: "fleet", filters: { region: "north" } });
    assert.deepEqual(parseRoute(""), { page: "fleet", filters: {} });
    assert.equal(fleetHash({ region: "north", role: "" }), "#/?region=north");
    assert.equal(fleetHash({}), "#/");
  });
});

describe("factEntries()", () => {
  it("puts lossPercent first as a percentage and leaves out peerRestarts (its own field)", () => {
    assert.deepEqual(factEntries({ recoveryTimeStamp: 3900000000, lossPercent: 20, jitterMs: 0.4, peerRestarts: 1 }), [
      ["lossPercent", "20.0 %"],
      ["jitterMs", "0.4"],
      ["recoveryTimeStamp", "3900000000"],
    ]);
    assert.deepEqual(factEntries(undefined), []);
  });
});

describe("historyWindow()", () => {
  it("spans the last hour, but starts a minute before the node was first seen, and is at least 5 min wide", () => {
    const hour = 3_600_000;
    assert.deepEqual(historyWindow(NOW, NOW - 2 * hour, 60), { from: NOW - hour, to: NOW });
    const first = NOW - 10 * 60_000 + 5_000;
    assert.deepEqual(historyWindow(NOW, first, 60), { from: Math.floor(first / 60_000) * 60_000 - 60_000, to: NOW });
    assert.deepEqual(historyWindow(NOW, NOW - 1000, 60), { from: NOW - 5 * 60_000, to: NOW });
    assert.deepEqual(historyWindow(NOW, undefined, 60), { from: NOW - hour, to: NOW });
  });
});

describe("fresher summaries win the race between polls, details and events", () => {
  it("a fleet poll older than the event that stopped the agent does not bring it back", () => {
    const stopped = node("a", { running: false, lastSeen: NOW - 100 });
    let f: Fleet = applyChange({}, { type: "node", node: stopped }).fleet;
    f = withSummaries(f, [node("a", { running: true, lastSeen: NOW - 900 })]);
    assert.equal(f.a.summary.running, false);
    assert.equal(standing(f.a.summary, NOW), "NO DATA");
  });
  it("an older node detail changes nothing, a newer one replaces summary and probes", () => {
    let f: Fleet = withDetail({}, detail(node("a", { running: false, lastSeen: NOW - 100 }), [probe("n4")]));
    const older = withDetail(f, detail(node("a", { running: true, lastSeen: NOW - 900 }), [probe("n4", { state: "unhealthy" })]));
    assert.equal(older, f);
    f = withDetail(f, detail(node("a", { running: true, lastSeen: NOW - 50 }), [probe("n4", { state: "unhealthy" })]));
    assert.equal(f.a.summary.running, true);
    assert.equal(f.a.probes.n4.state, "unhealthy");
  });
  it("an older node event keeps the newer summary", () => {
    const f0 = withSummaries({}, [node("a", { lastSeen: NOW - 10, verdict: "DOWN" })]);
    const f1 = applyChange(f0, { type: "node", node: node("a", { lastSeen: NOW - 500, verdict: "UP" }) }).fleet;
    assert.equal(f1.a.summary.verdict, "DOWN");
  });
});
