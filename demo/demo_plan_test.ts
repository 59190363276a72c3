import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { demoAgentDocs, demoPorts } from "./demo_plan.ts";
import { parseAgentConfig } from "../agent/config.ts";
import { probeKinds } from "../probes/mod.ts";

describe("demoAgentDocs()", () => {
  it("gives three agents whose configs pass the real validator", () => {
    const docs = demoAgentDocs(demoPorts(0), "t");
    assert.equal(docs.length, 3);
    for (const doc of docs) {
      delete doc.telemetry;
      doc.probes = (doc.probes as Array<{ kind: string }>).filter((p) => p.kind in probeKinds);
      const cfg = parseAgentConfig(doc, "demo", { env: {}, hostname: "h" });
      assert.ok(cfg.probes.length >= 2, cfg.agent.id);
      assert.ok(cfg.agent.labels.region && cfg.agent.labels.role);
    }
  });
  it("keeps every port distinct", () => {
    const p = demoPorts(100);
    const all = [p.collector, ...p.agents, p.pfcp, p.gtpu, p.gtpc, p.sip, p.diameter, p.sbi];
    assert.equal(new Set(all).size, all.length);
  });
});
