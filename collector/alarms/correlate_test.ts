import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { AlarmList } from "./alarm_list.ts";
import { correlate } from "./correlate.ts";
import { mapEvent } from "./mapping.ts";
import type { ProbeMeta } from "../../telemetry/record.ts";

const smf = (critical = true): ProbeMeta => ({ name: "smf-n4", kind: "pfcp", target: "10.0.4.1:8805", critical, interface: "N4" });
const nrf: ProbeMeta = { name: "nrf", kind: "sbi", target: "10.0.9.9:8080", critical: true };

function build(events: { node: string; probe: ProbeMeta; at: number }[]) {
  let i = 0;
  const l = new AlarmList({ newId: () => `a${++i}` });
  for (const e of events) {
    for (const a of mapEvent({ type: "state", node: e.node, at: e.at, probe: e.probe.name, to: "unhealthy", failure: { kind: "timeout" } }, e.probe)) {
      if (a.op === "raise") l.raise(a.condition, e.at);
    }
  }
  return l;
}
const opts = { minAgents: 3, windowMs: 60_000 };

describe("correlate", () => {
  it("10 agents losing the same peer within the window: one peer-fault root with the 10 alarms under it", () => {
    const l = build(Array.from({ length: 10 }, (_, k) => ({ node: `upf-${k}`, probe: smf(), at: 1000 + k * 500 })));
    const inv = () => [smf(), nrf];
    const r = correlate(l.all(), inv, new Set(), opts);
    assert.equal(r.roots.length, 1);
    assert.equal(r.roots[0].key, "peer|10.0.4.1:8805");
    assert.equal(r.roots[0].objectInstance, "peer=10.0.4.1:8805,interface=N4");
    assert.equal(r.roots[0].severity, "CRITICAL");
    assert.match(r.roots[0].specificProblem, /lost by 10 agents/);
    assert.equal(r.parentKey.size, 10);
  });

  it("fewer than k agents, or k agents spread wider than the window, make no root", () => {
    assert.equal(correlate(build([{ node: "a", probe: smf(), at: 0 }, { node: "b", probe: smf(), at: 1 }]).all(), () => [smf(), nrf], new Set(), opts).roots.length, 0);
    const spread = build([{ node: "a", probe: smf(), at: 0 }, { node: "b", probe: smf(), at: 70_000 }, { node: "c", probe: smf(), at: 140_000 }]);
    assert.equal(correlate(spread.all(), () => [smf(), nrf], new Set(), opts).roots.length, 0);
    // Once a root exists it keeps its members whatever their timing.
    assert.equal(correlate(spread.all(), () => [smf(), nrf], new Set(["peer|10.0.4.1:8805"]), opts).roots.length, 1);
  });

  it("one agent losing every peer at once is a local fault on that node, not peer faults", () => {
    const l = build([{ node: "upf-1", probe: smf(), at: 0 }, { node: "upf-1", probe: nrf, at: 200 }, { node: "upf-2", probe: smf(), at: 300 }, { node: "upf-3", probe: smf(), at: 400 }]);
    const r = correlate(l.all(), () => [smf(), nrf], new Set(), opts);
    assert.deepEqual(r.roots.map((c) => c.key), ["local|upf-1"]);
    assert.equal(r.roots[0].probableCause, "LOCAL_NODE_TRANSMISSION_ERROR");
    assert.equal([...r.parentKey.values()].filter((k) => k === "local|upf-1").length, 2);
    assert.equal(r.parentKey.size, 2, "upf-2 and upf-3 are two agents: below k");
  });

  it("a silent agent's alarms go under its agent-silent alarm and do not count for a peer fault", () => {
    const l = build([{ node: "a", probe: smf(), at: 0 }, { node: "b", probe: smf(), at: 1 }, { node: "c", probe: smf(), at: 2 }]);
    for (const a of mapEvent({ type: "silent", node: "c", at: 3, lastSeen: 0 })) if (a.op === "raise") l.raise(a.condition, 3);
    const r = correlate(l.all(), () => [smf(), nrf], new Set(), opts);
    assert.equal(r.roots.length, 0);
    const c = l.all().find((a) => a.node === "c" && a.kind === "probe-unhealthy")!;
    assert.equal(r.parentKey.get(c.alarmId), "silent|c");
  });

  it("a node-verdict alarm follows its causes under the root", () => {
    const l = build(Array.from({ length: 3 }, (_, k) => ({ node: `upf-${k}`, probe: smf(), at: k })));
    for (const a of mapEvent({ type: "verdict", node: "upf-0", at: 5, to: "DOWN", causes: ["smf-n4"] })) if (a.op === "raise") l.raise(a.condition, 5);
    const r = correlate(l.all(), () => [smf(), nrf], new Set(), opts);
    const v = l.all().find((a) => a.kind === "node-verdict")!;
    assert.equal(r.parentKey.get(v.alarmId), "peer|10.0.4.1:8805");
  });
});
