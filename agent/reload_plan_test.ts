import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseAgentConfig } from "./config.ts";
import { planReload, reloadedConfig } from "./reload_plan.ts";

const cfg = (doc: Record<string, unknown>) => parseAgentConfig({ server: { listen: "127.0.0.1:0" }, ...doc }, "t", { env: {}, hostname: "h" });
const tcp = (name: string, target: string, extra: Record<string, unknown> = {}) => ({ name, kind: "tcp", target, ...extra });

describe("planReload()", () => {
  it("sorts probes into added, removed, changed and kept, in the new order", () => {
    const cur = cfg({ probes: [tcp("a", "127.0.0.1:1"), tcp("b", "127.0.0.1:2"), tcp("c", "127.0.0.1:3")] });
    const next = cfg({ probes: [tcp("d", "127.0.0.1:4"), tcp("c", "127.0.0.1:3"), tcp("a", "127.0.0.1:1", { interval: "2s" })] });
    const plan = planReload(cur, next);
    assert.deepEqual(plan.added.map((p) => p.name), ["d"]);
    assert.deepEqual(plan.removed, ["b"]);
    assert.deepEqual(plan.changed.map((c) => [c.config.name, c.keepState]), [["a", true]]);
    assert.deepEqual(plan.kept, ["c"]);
    assert.deepEqual(plan.order, ["d", "c", "a"]);
    assert.deepEqual(plan.restartNeeded, []);
  });

  it("starts a fresh history when the target moves", () => {
    const plan = planReload(cfg({ probes: [tcp("a", "127.0.0.1:1")] }), cfg({ probes: [tcp("a", "127.0.0.1:9")] }));
    assert.deepEqual(plan.changed.map((c) => c.keepState), [false]);
  });

  it("names the start-only sections that changed, and keeps them in the running config", () => {
    const cur = cfg({ probes: [] });
    const next = parseAgentConfig({ server: { listen: "127.0.0.1:1" }, probes: [] }, "t", { env: {}, hostname: "h" });
    assert.deepEqual(planReload(cur, next).restartNeeded, ["server"]);
    assert.equal(reloadedConfig(cur, next).server.listen.port, 0);
  });

  it("plans nothing for the same config", () => {
    const c = cfg({ probes: [tcp("a", "127.0.0.1:1")] });
    const plan = planReload(c, c);
    assert.deepEqual([plan.added.length, plan.removed.length, plan.changed.length, plan.kept], [0, 0, 0, ["a"]]);
  });
});
