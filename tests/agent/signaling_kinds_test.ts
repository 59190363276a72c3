/**
 * Every signaling kind inside the agent: configured from a document, feeding the verdict, facts on
 * /status, a peer restart counted on /status and /metrics, and persistent Diameter closed with DPR
 * when the agent stops. Peers are our own reflectors on loopback (the real Debian peers are in
 * tests/udp, tests/sipdia, tests/sbietcd).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startAgent, type AgentHandle } from "../../agent/agent.ts";
import { parseAgentConfig } from "../../agent/config.ts";
import { reflectors } from "../../probes/mod.ts";
import type { ReflectorHandle } from "../../probes/types.ts";
import { systemClock } from "../../runtime/clock.ts";
import { nodeNet } from "../../runtime/node_net.ts";
import { eventually } from "../_util/process.ts";

const P = { pfcp: 24151, gtpu: 24152, gtpc: 24153, sip: 24154, diameter: 24155, sbi: 24156 };
const NF = "3fa85f64-5717-4562-b3fc-2c963f66afa6";

describe("signaling kinds in the agent", () => {
  const logs: string[] = [];
  const env = { net: nodeNet, now: () => Date.now(), log: (_l: string, msg: string, f?: Record<string, unknown>) => void logs.push(msg + " " + JSON.stringify(f ?? {})) };
  const refl: Record<string, ReflectorHandle> = {};
  let agent: AgentHandle;
  let url: string;

  before(async () => {
    for (const [kind, port] of Object.entries(P)) {
      refl[kind] = await reflectors[kind].start({ listen: `127.0.0.1:${port}`, extra: kind === "sbi" ? { mode: "204" } : {}, recovery: kind === "gtpc" ? 9 : undefined }, env);
    }
    const fast = { interval: "300ms", timeout: "250ms", jitter: "0%", fall: 2, rise: 1 };
    const cfg = parseAgentConfig({
      agent: { id: "sig-1" },
      server: { listen: "127.0.0.1:0" },
      probes: [
        { name: "n4", kind: "pfcp", target: `127.0.0.1:${P.pfcp}`, interface: "N4", ...fast },
        { name: "n3", kind: "gtpu", target: `127.0.0.1:${P.gtpu}`, interface: "N3", ...fast },
        { name: "s5c", kind: "gtpc", target: `127.0.0.1:${P.gtpc}`, interface: "S5-C", ...fast },
        { name: "gm", kind: "sip", target: `127.0.0.1:${P.sip}`, critical: false, ...fast },
        { name: "gx", kind: "diameter", target: `127.0.0.1:${P.diameter}`, critical: false, ...fast, options: { mode: "persistent", originHost: "sig-1.test", originRealm: "test" } },
        { name: "nrf", kind: "sbi", target: `http://127.0.0.1:${P.sbi}`, critical: false, ...fast, options: { mode: "nrf-heartbeat", nfInstanceId: NF } },
      ],
    }, "test", { env: {}, hostname: "h" });
    agent = await startAgent(cfg, { clock: systemClock, net: nodeNet, log: () => {}, version: "t", runtime: "t", target: "t" });
    url = `http://127.0.0.1:${agent.port}`;
  });
  after(async () => {
    await agent?.stop("test", AbortSignal.timeout(3000));
    await Promise.all(Object.values(refl).map((r) => r.close()));
  });

  it("turns every kind healthy and shows its protocol facts on /status", async () => {
    const status = await eventually(async () => {
      const s = await (await fetch(`${url}/status`)).json();
      return s.probes.every((p: { state: string }) => p.state === "healthy") && s;
    }, 5000);
    const facts = Object.fromEntries(status.probes.map((p: { name: string; facts: unknown }) => [p.name, p.facts]));
    assert.equal(typeof facts.n4.recoveryTimeStamp, "number");
    assert.equal(facts.s5c.restartCounter, 9);
    assert.equal(facts.gm.status, 200);
    assert.equal(facts.gx.resultCode, 2001);
    assert.equal(status.verdict.status, "UP");
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
  });

  it("counts a PFCP peer restart on /status and /metrics", async () => {
    refl.pfcp.restart();
    await eventually(async () => (await (await fetch(`${url}/status`)).json()).probes[0].peerRestarts === 1, 5000);
    const m = await (await fetch(`${url}/metrics`)).text();
    assert.match(m, /edgeprobe_peer_restarts_total\{probe="n4",kind="pfcp"\} 1/);
  });

  it("goes DOWN naming the probe when the GTP-U peer dies, and back UP when it returns", async () => {
    await refl.gtpu.close();
    const down = await eventually(async () => {
      const r = await fetch(`${url}/healthz`);
      return r.status === 503 && (await r.json());
    }, 5000);
    assert.deepEqual(down.failingProbes, ["n3"]);
    const s = await (await fetch(`${url}/status`)).json();
    assert.equal(s.probes[1].lastError.kind, "refused");
    refl.gtpu = await reflectors.gtpu.start({ listen: `127.0.0.1:${P.gtpu}`, extra: {} }, env);
    await eventually(async () => (await fetch(`${url}/healthz`)).status === 200, 5000);
  });

  it("closes the persistent Diameter connection with DPR when the agent stops", async () => {
    await agent.stop("test", AbortSignal.timeout(3000));
    await eventually(() => Promise.resolve(logs.some((l) => l.startsWith("diameter reflector: DPR received"))), 3000);
  });
});
