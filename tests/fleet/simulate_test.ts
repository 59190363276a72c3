/**
 * The fleet simulator against real collectors, in-process (free loopback ports): every record it
 * produces is stored once, across collector restarts, on HTTP/1.1 and h2c.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseCollectorConfig, type RunningCollector, startCollector } from "../../collector/mod.ts";
import { startSimulation } from "../../simulate/mod.ts";
import { main } from "../../cli/main.ts";
import { freePort } from "../../bench/fleet/_proc.ts";

const TOKEN = "fleet-sim-token-0123456789abcdef";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function config(dir: string, port: number) {
  return parseCollectorConfig({
    listen: `127.0.0.1:${port}`,
    auth: { sharedToken: TOKEN },
    store: { path: join(dir, "c.db") },
  }, {});
}

async function start(dir: string, port: number): Promise<{ c: RunningCollector; stop: () => Promise<void> }> {
  const ac = new AbortController();
  const c = await startCollector(config(dir, port), { signal: ac.signal, log: () => {} });
  return { c, stop: async () => (ac.abort(), await c.finished) };
}

/** Sum of every probe's ok + fail totals: probe records the collector stored. */
async function probeRecordsStored(c: RunningCollector): Promise<number> {
  let n = 0;
  for (const { probe } of await c.store.probes()) n += probe.okTotal + probe.failTotal;
  return n;
}

const busy = { speed: 20, episodesPerProbeHour: 2, silencesPerAgentHour: 6, silenceMs: [10_000, 40_000] as const, peerRestartsPerProbeHour: 1 };

describe("fleet simulator against a real collector", () => {
  it("delivers every record once over HTTP/1.1 through a collector restart, with silences and new boots", async () => {
    const dir = fs.mkdtempSync(join(tmpdir(), "ep-fleet-sim-"));
    // A port of its own, kept for the restart: fixed ports in 32768-60999 collide with the
    // ephemeral source ports of earlier tests' connections (Linux ip_local_port_range).
    const port = await freePort();
    let col = await start(dir, port);
    const ac = new AbortController();
    const sim = startSimulation({
      agents: 300, collectors: [col.c.url], token: TOKEN, batchIntervalMs: 250, probesPerAgent: 10, concurrency: 32,
      requestTimeoutMs: 2000, backoffMs: { initial: 50, max: 500 }, behaviour: busy, seed: 42, signal: ac.signal,
    });
    try {
      await sleep(1500);
      await col.stop();
      const during = sim.stats().batches.failed;
      await sleep(700);
      col = await start(dir, port);
      await sleep(1500);
      const s = await sim.drain(AbortSignal.timeout(20_000));
      assert.equal(s.pending, 0, "every spool empty");
      assert.equal(s.dropped, 0);
      assert.equal(s.acked, s.generated);
      assert.ok(s.batches.failed > during, "sends failed while the collector was down");
      assert.ok(s.boots > 300, `some agents restarted with a new boot (${s.boots})`);
      assert.ok(s.stateChanges > 3000 && s.peerRestarts > 0 && s.silences > 0, JSON.stringify(s));
      const stats = await col.c.store.stats();
      // Records are counted once per store instance; a replay after the restart is a duplicate, not a second copy.
      const fleet = await col.c.store.fleet(Date.now());
      assert.equal(fleet.length, 300);
      assert.ok(fleet.every((n) => n.labels.region?.startsWith("r") && n.labels.site), "agent-start labels stored");
      assert.ok(stats.records > 0);
      // Replays after the restart were answered from the ack, not stored twice.
      assert.equal(await probeRecordsStored(col.c), s.probeResults);
    } finally {
      await sim.stop();
      ac.abort();
      await col.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("over h2c, the store holds exactly the probe records the simulator produced", async () => {
    const dir = fs.mkdtempSync(join(tmpdir(), "ep-fleet-sim-"));
    const col = await start(dir, 0);
    const ac = new AbortController();
    const sim = startSimulation({
      agents: 200, collectors: [col.c.url], token: TOKEN, transport: "h2", batchIntervalMs: 200, concurrency: 64,
      behaviour: { ...busy, silencesPerAgentHour: 0 }, seed: 7, signal: ac.signal,
    });
    try {
      await sleep(2000);
      const s = await sim.drain(AbortSignal.timeout(20_000));
      assert.equal(s.pending, 0);
      assert.equal(s.acked, s.generated);
      assert.ok(s.batches.ok > 200);
      assert.deepEqual(Object.keys(s.batches.byStatus), ["200"]);
      const stats = await col.c.store.stats();
      assert.equal(stats.records, s.acked, "every record stored once");
      assert.equal(stats.duplicates, 0);
      assert.equal(await probeRecordsStored(col.c), s.probeResults);
    } finally {
      await sim.stop();
      ac.abort();
      await col.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("edgeprobe simulate runs for --duration, drains and prints a summary; bad options exit 2", async () => {
    const dir = fs.mkdtempSync(join(tmpdir(), "ep-fleet-sim-"));
    const col = await start(dir, 0);
    let out = "", err = "";
    const io = { out: (t: string) => void (out += t), err: (t: string) => void (err += t), env: {}, onSignal: () => () => {} };
    try {
      const code = await main(["simulate", "--agents", "50", "--collector", col.c.url, "--token", TOKEN, "--duration", "1s", "--batch-interval", "200ms", "--report", "500ms", "--calm"], io);
      assert.equal(code, 0, err);
      const summary = JSON.parse(out.slice(out.indexOf("\n{") + 1)) as { agents: number; pending: number; acked: number; generated: number };
      assert.equal(summary.agents, 50);
      assert.equal(summary.pending, 0);
      assert.equal(summary.acked, summary.generated);
      assert.match(out, /^t=\d+s acked=\d+/m);
      assert.equal((await col.c.store.stats()).records, summary.acked);
      err = "";
      assert.equal(await main(["simulate", "--agents", "5"], io), 2);
      assert.match(err, /^Cannot start simulation: expected --collector/);
      assert.equal(await main(["simulate", "--agents", "5", "--collector", "x", "--token", "t"], io), 2);
      assert.equal(await main(["simulate", "--agents", "5", "--collector", col.c.url, "--token", "t", "--bogus", "1"], io), 2);
      assert.match(err, /unknown option --bogus/);
    } finally {
      await col.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
