/** In-process: stop() flips /healthz and /readyz to 503 before anything else happens. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { startAgent } from "../../agent/agent.ts";
import { parseAgentConfig } from "../../agent/config.ts";
import { systemClock } from "../../runtime/clock.ts";
import { nodeNet } from "../../runtime/node_net.ts";
import type { ProbeKind } from "../../probes/types.ts";

describe("AgentHandle.stop()", () => {
  it("answers 503 DRAINING at once while probes are still closing", async () => {
    let releaseClose!: () => void;
    const slowClose: ProbeKind<Record<string, never>> = {
      kind: "tcp", // validated as tcp by the config; built by this fake
      summary: "test",
      options: z.strictObject({}),
      create: () => ({
        run: () => Promise.resolve({ ok: true }),
        close: () => new Promise<void>((r) => (releaseClose = r)),
      }),
    };
    const cfg = parseAgentConfig({ server: { listen: "127.0.0.1:0" }, probes: [{ name: "p", kind: "tcp", target: "127.0.0.1:9" }] }, "t", { env: {}, hostname: "h" });
    const agent = await startAgent(cfg, {
      clock: systemClock,
      net: nodeNet,
      log: () => {},
      version: "t",
      runtime: "t",
      target: "t",
      kinds: { tcp: slowClose as ProbeKind<unknown> },
    });
    const url = `http://127.0.0.1:${agent.port}`;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    const stopping = agent.stop("test", AbortSignal.timeout(3000));
    const res = await fetch(`${url}/healthz`);
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("content-type"), "application/problem+json");
    assert.equal((await res.json()).cause, "DRAINING");
    assert.equal((await fetch(`${url}/readyz`)).status, 503);
    releaseClose();
    await stopping;
  });
});
