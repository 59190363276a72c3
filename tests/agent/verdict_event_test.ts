/** The first complete verdict reaches telemetry even when it is the initial UP. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { startAgent } from "../../agent/agent.ts";
import { parseAgentConfig } from "../../agent/config.ts";
import type { AgentEvent, TelemetryUplink } from "../../agent/events.ts";
import { systemClock } from "../../runtime/clock.ts";
import { nodeNet } from "../../runtime/node_net.ts";
import { eventually } from "../_util/process.ts";

describe("verdict events", () => {
  it("sends one verdict-change for a node that is UP from the start, after agent-start", async () => {
    const listener = net.createServer((s) => s.destroy()).listen(24181, "127.0.0.1");
    const events: AgentEvent[] = [];
    const sink: TelemetryUplink = { emit: (e) => void events.push(e), stats: () => ({}), metrics: () => "", close: () => Promise.resolve() };
    const cfg = parseAgentConfig({
      server: { listen: "127.0.0.1:0" },
      probes: [{ name: "p", kind: "tcp", target: "127.0.0.1:24181", interval: "200ms", timeout: "100ms" }],
      telemetry: { collector: "http://127.0.0.1:9" },
    }, "t", { env: {}, hostname: "h" });
    const agent = await startAgent(cfg, { clock: systemClock, net: nodeNet, log: () => {}, version: "t", runtime: "t", target: "t", createUplink: () => Promise.resolve(sink) });
    try {
      await eventually(() => Promise.resolve(events.filter((e) => e.type === "probe-result").length >= 3), 3000);
      const types = events.map((e) => e.type).filter((t) => t !== "probe-result");
      assert.deepEqual(types.slice(0, 3), ["agent-start", "state-change", "verdict-change"]);
      const v = events.filter((e) => e.type === "verdict-change");
      assert.equal(v.length, 1);
      assert.equal((v[0] as { to: string }).to, "UP");
    } finally {
      await agent.stop("test", AbortSignal.timeout(2000));
      listener.close();
    }
  });
});
