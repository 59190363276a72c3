/**
 * The collector's memory under load (docs/scale-out.md, "Collector memory"): a collector process
 * fed by the fleet simulator at about its capacity (2,000 agents × 30 probes at 16× speed: 60,000
 * probes, ~90,000 records/s offered, 256 requests in flight) stays within its stated
 * bound: the RSS it had when it started, plus 7 KiB per (node, probe), plus 300 MiB. The read
 * model holds 2.9-4.4 KB of live JS heap per probe (three open rollup slots with dense
 * histograms, three Maps, the probe's own state); under load the heap runs at up to about twice
 * its live size between collections, and the 300 MiB cover the heap's room for what ingest
 * allocates at ~90,000 records/s, what it holds in flight (bodies within
 * limits.maxIngestBytesInFlight, one group commit of decoded batches), SQLite's caches and the
 * read thread. Sampled every 500 ms; the peak is asserted.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSimulation } from "../../simulate/mod.ts";
import { rssMiB, startCollectorProcess } from "../../bench/fleet/_proc.ts";

const TOKEN = "fleet-memory-token-0123456789abcdef";
const VIEWER = "fleet-memory-viewer-0123456789abcdef";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/**
 * RSS per (node, probe): 2.9-4.4 KB live, about twice that with the heap's room between
 * collections. Two measured points: 60,000 probes at ~90,000 records/s peaked at 654-671 MiB,
 * 300,000 probes at capacity for 200 s at 2,231 MiB; a line through them is 280 MiB + 6.7 KiB
 * per probe.
 */
const BYTES_PER_PROBE = 7 * 1024;
/** The heap's room for ingest's garbage at ~90,000 records/s, ingest in flight, SQLite's caches, the read thread. */
const FIXED_MIB = 300;

describe("collector memory under load", () => {
  it("stays within its start RSS + 7 KiB per probe + 300 MiB under load", { timeout: 120_000 }, async () => {
    const agents = 2000, probes = 30;
    const dir = fs.mkdtempSync(join(tmpdir(), "ep-fleet-memory-"));
    const c = await startCollectorProcess(dir, "memory", 0, [
      `auth: { sharedToken: "${TOKEN}", apiTokens: { noc: { token: "${VIEWER}" } } }`,
      `store: { path: "${join(dir, "c.db")}" }`,
      // One source address for the whole simulated fleet: the per-source cap lifted to its requests in flight.
      "limits: { maxInFlightPerSource: 1024 }",
      "",
    ].join("\n"));
    const base = rssMiB(c.child.pid!);
    const ac = new AbortController();
    const sim = startSimulation({
      agents, collectors: [c.url], token: TOKEN, probesPerAgent: probes, concurrency: 256,
      behaviour: { failRate: 0.01, episodesPerProbeHour: 0, peerRestartsPerProbeHour: 0, silencesPerAgentHour: 0, speed: 16 }, signal: ac.signal,
    });
    let peak = base;
    try {
      const end = Date.now() + 20_000;
      while (Date.now() < end) {
        await sleep(500);
        peak = Math.max(peak, rssMiB(c.child.pid!));
      }
      const s = sim.stats();
      const grid = await (await fetch(`${c.url}/api/v1/fleet/grid`, { headers: { authorization: `Bearer ${VIEWER}` } })).json() as { nodes: unknown[]; profiles: number[][] };
      const bound = base + (agents * probes * BYTES_PER_PROBE) / 2 ** 20 + FIXED_MIB;
      const figures = JSON.stringify({ baseMiB: base, peakMiB: peak, boundMiB: Math.round(bound), acked: s.acked, pending: s.pending, failed: s.batches.failed, byStatus: s.batches.byStatus, nodes: grid.nodes.length });
      console.log(`collector memory: ${figures}`);
      // Loaded: every agent reached the read model with its 30 probes, and it stored ≥ 50,000 records/s.
      assert.equal(grid.nodes.length, agents, figures);
      assert.ok(grid.profiles.some((p) => p.length === probes), figures);
      assert.ok(s.acked >= 20 * 50_000, `not loaded: ${figures}`);
      assert.ok(peak <= bound, `peak RSS ${peak} MiB > ${Math.round(bound)} MiB: ${figures}`);
    } finally {
      await sim.stop();
      ac.abort();
      await c.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
