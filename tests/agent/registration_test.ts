/** The agent's `registration.etcd` against a real single-node etcd 3.4 (Debian etcd-server). */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAgent } from "../../agent/agent.ts";
import { parseAgentConfig } from "../../agent/config.ts";
import { systemClock } from "../../runtime/clock.ts";
import { nodeNet } from "../../runtime/node_net.ts";
import { type Child, eventually, startChild } from "../_util/process.ts";

const CLIENT = "http://127.0.0.1:24171";
const PEER = "http://127.0.0.1:24172";
const b64 = (s: string) => Buffer.from(s).toString("base64");

async function range(key: string): Promise<{ kvs?: Array<{ value: string; lease?: string }> }> {
  const r = await fetch(`${CLIENT}/v3/kv/range`, { method: "POST", body: JSON.stringify({ key: b64(key) }) });
  return await r.json();
}

describe("agent registration in etcd", () => {
  const dir = mkdtempSync(join(tmpdir(), "ep-reg-"));
  let etcd: Child;
  before(async () => {
    etcd = startChild("etcd", [
      "--name", "n1", "--data-dir", join(dir, "n1"),
      "--listen-client-urls", CLIENT, "--advertise-client-urls", CLIENT,
      "--listen-peer-urls", PEER, "--initial-advertise-peer-urls", PEER,
      "--initial-cluster", `n1=${PEER}`, "--initial-cluster-state", "new",
      "--heartbeat-interval", "50", "--election-timeout", "500",
    ]);
    await eventually(async () => (await fetch(`${CLIENT}/health`)).ok, 20_000, 200);
  });
  after(async () => {
    await etcd?.stop("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps a lease-bound key with the verdict summary and removes it on stop", async () => {
    const cfg = parseAgentConfig({
      agent: { id: "reg-1", labels: { site: "lab" } },
      server: { listen: "127.0.0.1:0" },
      probes: [{ name: "etcd", kind: "etcd", target: CLIENT, interval: "500ms", timeout: "400ms" }],
      registration: { etcd: { endpoints: [CLIENT], ttl: "5s" } },
    }, "test", { env: {}, hostname: "h" });
    const agent = await startAgent(cfg, { clock: systemClock, net: nodeNet, log: () => {}, version: "t", runtime: "t", target: "t" });
    try {
      const kv = await eventually(async () => (await range("/edgeprobe/agents/reg-1")).kvs?.[0], 5000);
      assert.ok(kv.lease && kv.lease !== "0", "the key must be bound to a lease");
      const value = JSON.parse(Buffer.from(kv.value, "base64").toString());
      assert.equal(value.agentId, "reg-1");
      const summary = value.summary;
      assert.equal(summary.labels.site, "lab");
      assert.ok(["UP", "DEGRADED", "DOWN"].includes(summary.status));
      assert.equal(summary.bootId, agent.bootId);
    } finally {
      await agent.stop("test", AbortSignal.timeout(3000));
    }
    assert.equal((await range("/edgeprobe/agents/reg-1")).kvs, undefined, "the key must vanish when the agent stops");
  });
});
