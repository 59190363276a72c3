/**
 * startAgent() under a mass state change: 5,000 probes turn unhealthy within one interval, then
 * healthy again. The answers are published a bounded number of times (counted through
 * AgentDeps.onPublish), the 503 is published with the first unhealthy probe, every verdict
 * transition is announced once, and the answer on the port names every probe at the end.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { startAgent } from "./agent.ts";
import { parseAgentConfig } from "./config.ts";
import type { AgentEvent } from "./events.ts";
import type { HealthSnapshot } from "./healthz.ts";
import { createManualClock } from "../runtime/manual_clock.ts";
import { nodeNet } from "../runtime/node_net.ts";
import type { ProbeKind, ProbeOutcome } from "../probes/types.ts";

const N = 5000;
const INTERVAL_MS = 1000;
/** agent/agent.ts ANSWER_MIN_GAP_MS */
const GAP_MS = 100;

const decode = (a: HealthSnapshot["healthz"]) => JSON.parse(new TextDecoder().decode(a.body));

describe("startAgent() under a mass state change", () => {
  it(`publishes the answers a bounded number of times when ${N} probes flip in one interval`, async () => {
    const clock = createManualClock();
    let failing = false;
    const ok: ProbeOutcome = { ok: true, latencyMs: 0.1 };
    const bad: ProbeOutcome = { ok: false, failure: { kind: "refused", message: "connection refused" } };
    const flipping: ProbeKind<Record<string, never>> = {
      kind: "tcp", // validated as tcp by the config; built by this fake
      summary: "test",
      options: z.strictObject({}),
      create: () => ({ run: () => Promise.resolve(failing ? bad : ok), close: () => Promise.resolve() }),
    };
    const published: HealthSnapshot[] = [];
    const events: AgentEvent[] = [];
    // How many probes had turned unhealthy when each publish happened.
    let unhealthy = 0;
    const unhealthyAtPublish: number[] = [];
    const probes = Array.from({ length: N }, (_, i) => ({ name: `gnb-${String(N - i).padStart(5, "0")}`, kind: "tcp", target: "127.0.0.1:9", interval: INTERVAL_MS, jitter: 0, fall: 1, rise: 1 }));
    const cfg = parseAgentConfig({ server: { listen: "127.0.0.1:0" }, probes }, "t", { env: {}, hostname: "h" });
    const agent = await startAgent(cfg, {
      clock,
      net: nodeNet,
      log: () => {},
      version: "t",
      runtime: "t",
      target: "t",
      kinds: { tcp: flipping as ProbeKind<unknown> },
      createSinks: () => [{
        emit(e) {
          if (e.type === "probe-result") return;
          events.push(e);
          if (e.type === "state-change") unhealthy += e.to === "unhealthy" ? 1 : e.from === "unhealthy" ? -1 : 0;
        },
      }],
      onPublish(a) {
        published.push(a);
        unhealthyAtPublish.push(unhealthy);
      },
    });
    const url = `http://127.0.0.1:${agent.port}`;
    try {
      // The first cycle: every probe leaves unknown in the same wake-up.
      await clock.advance(1);
      assert.equal(agent.verdict().criticalKnown, true);
      assert.equal((await fetch(`${url}/readyz`)).status, 200);
      const atUp = published.length;
      // The unknown → healthy moves changed readiness once; the names never.
      assert.ok(atUp <= 2, `${atUp} publishes for the first cycle`);

      // The burst: the second cycle runs spread over the interval's 100 phase slots, from 1,000 ms
      // to 1,990 ms on the clock (agent/scheduler.ts `spread`).
      await clock.advance(INTERVAL_MS - 2);
      assert.equal(published.length, atUp);
      failing = true;
      const before = published.length;
      await clock.advance(INTERVAL_MS);
      assert.equal(unhealthy, N);
      const burst = published.slice(before);
      // One for UP → DOWN, then at most one per gap of the interval (the previous code: N).
      assert.ok(burst.length <= 1 + INTERVAL_MS / GAP_MS + 1, `${burst.length} publishes for ${N} state changes`);
      assert.ok(burst.length >= 2, "the names are published after the status");
      // The load balancer sees the node go down with the first unhealthy probe, not later.
      const firstDown = published.findIndex((a) => a.healthz.status === 503);
      assert.equal(unhealthyAtPublish[firstDown], 1);
      // The last names are published within one gap.
      await clock.advance(GAP_MS);
      const last = published.at(-1)!;
      assert.equal(last.healthz.status, 503);
      const names = decode(last.healthz).failingProbes as string[];
      assert.equal(names.length, N);
      assert.deepEqual(names, probes.map((p) => p.name).sort());
      const res = await fetch(`${url}/healthz`);
      assert.equal(res.status, 503);
      assert.deepEqual((await res.json()).failingProbes, names);
      assert.deepEqual(agent.verdict().downCauses, names);

      // And back (the probes of the slots already run this cycle turn healthy in the next one).
      failing = false;
      const down = published.length;
      const windowMs = INTERVAL_MS + GAP_MS;
      await clock.advance(windowMs);
      assert.equal(unhealthy, 0);
      assert.ok(published.length - down <= windowMs / GAP_MS + 2, `${published.length - down} publishes for ${N} state changes back`);
      assert.equal(published.at(-1)!.healthz.status, 200);
      assert.equal((await fetch(`${url}/healthz`)).status, 200);

      // Every transition announced once, in order, with the causes at its moment.
      const verdicts = events.filter((e) => e.type === "verdict-change");
      assert.deepEqual(verdicts.map((e) => [e.from, e.to]), [["UP", "UP"], ["UP", "DOWN"], ["DOWN", "UP"]]);
      assert.equal(verdicts[1].causes.length, 1);
      assert.deepEqual(verdicts[2].causes, []);
      assert.equal(events.filter((e) => e.type === "state-change").length, 3 * N);

      // SIGTERM: 503 DRAINING published at once, in the same call.
      const n = published.length;
      const stopping = agent.stop("test", AbortSignal.timeout(3000));
      assert.equal(published.length, n + 1);
      assert.equal(decode(published[n].healthz).cause, "DRAINING");
      await stopping;
    } finally {
      await agent.stop("test", AbortSignal.timeout(3000));
    }
  });
});
