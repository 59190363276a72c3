/**
 * An NRF that advertises a heartBeatTimer no timer can hold (2^32-1 s): the agent clamps the
 * adopted interval to the documented range, says so on /status, and the probe does not spin.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sleep, startChild } from "../_util/process.ts";
import { BUN, get, spawnAgent } from "./_agent.ts";

const root = new URL("../../", import.meta.url).pathname;

describe("NRF heartBeatTimer from a lying peer", () => {
  const stops: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const s of stops) await s();
  });

  it("is clamped, shown as a fact on /status, and the probe runs at the first interval until the heartbeat answers", async () => {
    const nrf = startChild(BUN, ["cli/main.ts", "reflect", "sbi", "--listen", "127.0.0.1:31110", "--mode", "200", "--heart-beat-timer", String(2 ** 32 - 1)], { cwd: root });
    stops.push(() => nrf.stop("SIGTERM"));
    await nrf.waitFor(/listening on/, 10_000);
    const dir = mkdtempSync(join(tmpdir(), "ep-hbt-"));
    const { child, hostPort } = spawnAgent(dir, `
agent: { id: hbt-agent }
server: { listen: "127.0.0.1:0" }
probes:
  - { name: nrf, kind: sbi, target: "127.0.0.1:31110", interval: 200ms, timeout: 150ms, jitter: 0%, options: { mode: nrf-heartbeat, nfInstanceId: 5a1c0b3e-6e5f-4b8e-9d2a-0c1d2e3f4a5b } }
`);
    stops.push(() => child.stop("SIGTERM"));
    const hp = await hostPort;
    let probe: { runs: number; facts: Record<string, unknown> } | undefined;
    for (let i = 0; i < 100; i++) {
      probe = JSON.parse((await get(hp, "/status")).body || "{}").probes?.[0];
      if (probe?.facts?.heartBeatTimerClamped) break;
      await sleep(50);
    }
    assert.equal(probe?.facts.heartBeatTimerClamped, true, JSON.stringify(probe));
    assert.equal(probe?.facts.adoptedIntervalMs, 3_600_000);
    const runs = probe!.runs;
    await sleep(1000);
    const later = JSON.parse((await get(hp, "/status")).body).probes[0];
    // Unclamped, Bun fires a 2^32 s timer after 1 ms: hundreds of runs a second.
    assert.ok(later.runs - runs <= 1, `${later.runs - runs} runs in 1 s after the clamp`);
    assert.match(child.output(), /heartBeatTimer outside the accepted range; clamped/);
    assert.equal((await get(hp, "/healthz")).status, 200);
  });
});
