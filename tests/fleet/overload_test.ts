/**
 * Overload with the fleet simulator (in-process collector on a free port): past
 * limits.maxIngestInFlight the collector sheds with 503 + Retry-After before decoding, the
 * emulated agents wait as told (with jitter), the fleet API still answers, and once the load
 * stops every record drains, stored exactly once.
 *
 * At twice capacity: a collector process held to a tenth of a core (cgroup CPU quota, or a
 * SIGSTOP/SIGCONT duty cycle where cgroups are not writable: bench/fleet/cpu_limit.ts) so this
 * machine's other core can offer twice what it takes; the figures are bench:fleet's overload
 * section at a smaller size (docs/scale-out.md).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseCollectorConfig, startCollector } from "../../collector/mod.ts";
import { startSimulation } from "../../simulate/mod.ts";
import { overloadAtTwice } from "../../bench/fleet/overload.ts";

const TOKEN = "fleet-overload-token-0123456789abcdef";
/** The read side needs credentials (docs/security.md): a viewer's API token. */
const VIEWER = "fleet-overload-viewer-0123456789abcdef";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("overload", () => {
  it("sheds early with Retry-After, keeps the fleet API answering, loses nothing and drains", async () => {
    const dir = fs.mkdtempSync(join(tmpdir(), "ep-fleet-overload-"));
    const ac = new AbortController();
    const c = await startCollector(parseCollectorConfig({
      // Every emulated agent comes from 127.0.0.1: the per-source cap (docs/security.md) is lifted so
      // that ingest admission, not the one-address guard, is what sheds here.
      listen: "127.0.0.1:0", auth: { sharedToken: TOKEN, apiTokens: { noc: { token: VIEWER } } }, store: { path: join(dir, "c.db") },
      limits: { maxIngestInFlight: 4, maxInFlightPerSource: 1024 },
    }, {}), { signal: ac.signal, log: () => {} });
    const simAbort = new AbortController();
    const sim = startSimulation({
      agents: 400, collectors: [c.url], token: TOKEN, batchIntervalMs: 100, concurrency: 64, probesPerAgent: 10,
      requestTimeoutMs: 3000, backoffMs: { initial: 50, max: 2000 }, behaviour: { speed: 20, silencesPerAgentHour: 0 }, seed: 3, signal: simAbort.signal,
    });
    try {
      await sleep(1500);
      // The API during overload: answered, and from the read model (no store queue in its way).
      const t = performance.now();
      const res = await fetch(`${c.url}/api/v1/fleet`, { headers: { authorization: `Bearer ${VIEWER}` } });
      const apiMs = performance.now() - t;
      assert.equal(res.status, 200);
      const body = await res.json() as { nodes?: unknown[] } | unknown[];
      assert.ok(Array.isArray(body) ? body.length > 0 : (body.nodes?.length ?? 0) > 0);
      assert.ok(apiMs < 1000, `fleet API took ${apiMs.toFixed(0)} ms under overload`);
      await sleep(1000);
      const during = sim.stats();
      assert.ok((during.batches.byStatus["503"] ?? 0) > 0, `shed: ${JSON.stringify(during.batches.byStatus)}`);
      assert.equal(during.retryAfterHonoured, during.batches.byStatus["503"], "every 503 carried a Retry-After the agents waited for");
      // A 503 is counted by the collector before it reaches the agent: answers still in flight make
      // the collector's count the larger one here; after the drain the two are equal.
      assert.ok((c.counters.batches.shed ?? 0) >= during.batches.byStatus["503"]!);
      assert.equal(during.batches.byStatus.timeout ?? 0, 0, "no request waited into its timeout: excess was refused, not queued");
      const s = await sim.drain(AbortSignal.timeout(30_000));
      assert.equal(s.pending, 0, "the backlog drained");
      assert.equal(s.dropped, 0);
      assert.equal(s.acked, s.generated, "nothing lost");
      assert.equal(c.counters.batches.shed, s.batches.byStatus["503"], "every shed batch reached its agent as a 503");
      const stats = await c.store.stats();
      assert.equal(stats.records, s.acked, "every record stored once");
      assert.equal(stats.nodes, 400);
    } finally {
      await sim.stop();
      simAbort.abort();
      ac.abort();
      await c.finished;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("at twice its measured capacity keeps storing at about that capacity, sheds early, answers the fleet API, loses nothing and drains", { timeout: 150_000 }, async () => {
    const r = await overloadAtTwice({
      cores: 0.1, agents: 400, probes: 10, capacityOffer: 100_000, warmMs: 6000, measureMs: 12_000, drainTimeoutMs: 60_000,
      maxIngestInFlight: 32, concurrency: 256, apiSamples: 40,
    });
    const { capacity: cap, twice: t } = r;
    if (!("offeredPerSec" in cap)) throw new Error("Cannot judge the run: the capacity phase did not run");
    const figures = JSON.stringify({ C: cap.storedPerSec, capCpu: cap.collectorCpuShare, capApiP99: cap.fleetApiMs.p99, offered: t.offeredPerSec, stored: t.storedPerSec, ratio: t.storedVsCapacity, by: t.byStatus, api: t.fleetApiMs, drainMs: t.drain.ms });
    console.log(`overload at 2 × capacity: ${figures}`);
    console.log(`timelines: capacity ${JSON.stringify(cap.timeline)} twice ${JSON.stringify(t.timeline)} cpu ${t.collectorCpuShare} perBatch ${cap.recordsPerBatch}/${t.recordsPerBatch}`);
    // The capacity phase saturated the limited collector (it stored less than it was offered).
    assert.ok(cap.storedPerSec < 0.9 * cap.offeredPerSec, `capacity phase not saturated: ${figures}`);
    assert.ok(t.offeredPerSec >= 1.7 * cap.storedPerSec, `offered about 2 × C: ${figures}`);
    // Storing at twice the load, against C measured with as many batches in flight as admission
    // lets in (bench/fleet/overload.ts) over whole group-commit cycles: docs/scale-out.md has the runs
    // (0.80-1.38 × C in six); the floor sits a tenth below the lowest so this shared box's spread
    // does not fail a run that degraded as designed, and far above the 0.62 of the old method.
    assert.ok(t.storedVsCapacity >= 0.7, `stored ${t.storedPerSec}/s at 2 × C = ${2 * cap.storedPerSec}/s offered: ${figures}`);
    // Shed early: 503 with Retry-After (the per-source cap's 429 would count too), honoured by the agents; nothing waited into a timeout.
    const refused = (t.byStatus["503"] ?? 0) + (t.byStatus["429"] ?? 0);
    assert.ok(refused > 0, `nothing shed: ${figures}`);
    assert.equal(t.retryAfterHonoured, t.failed, `every refusal carried a Retry-After the agents waited for: ${figures}`);
    assert.equal(t.byStatus.timeout ?? 0, 0, figures);
    // The fleet API answered every request, in bounded time, while the collector was saturated
    // (a tenth of a core runs 2 ms in every 20: one run measured p99 819 ms; the bench's quarter core 413 ms).
    assert.equal(t.fleetApiMs.statuses["200"], t.fleetApiMs.n, figures);
    assert.ok(t.fleetApiMs.p99 < 2000, `fleet API p99 ${t.fleetApiMs.p99} ms: ${figures}`);
    // The load drops: the backlog drains and every record is stored exactly once.
    assert.ok(t.drain.backlogRecords > 0, figures);
    assert.equal(t.drain.pending, 0, `drained: ${figures}`);
    assert.equal(t.drain.dropped, 0);
    assert.equal(t.drain.acked, t.drain.generated, "nothing lost");
    assert.equal(t.drain.collectorStored, t.drain.acked, "every record stored once (the collector's own count)");
    assert.equal(t.drain.collectorBatches.shed, t.drain.simulatorByStatus["503"], "every shed batch reached its agent as a 503");
  });
});
