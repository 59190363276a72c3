/**
 * Overload with the fleet simulator (in-process collector on a free port): past
 * limits.maxIngestInFlight the collector sheds with 503 + Retry-After before decoding, the
 * emulated agents wait as told (with jitter), the fleet API still answers, and once the load
 * stops every record drains, stored exactly once.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseCollectorConfig, startCollector } from "../../collector/mod.ts";
import { startSimulation } from "../../simulate/mod.ts";

const TOKEN = "fleet-overload-token-0123456789abcdef";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("overload", () => {
  it("sheds early with Retry-After, keeps the fleet API answering, loses nothing and drains", async () => {
    const dir = fs.mkdtempSync(join(tmpdir(), "ep-fleet-overload-"));
    const ac = new AbortController();
    const c = await startCollector(parseCollectorConfig({
      listen: "127.0.0.1:0", auth: { sharedToken: TOKEN, publicRead: true }, store: { path: join(dir, "c.db") }, limits: { maxIngestInFlight: 4 },
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
      const res = await fetch(`${c.url}/api/v1/fleet`);
      const apiMs = performance.now() - t;
      assert.equal(res.status, 200);
      const body = await res.json() as { nodes?: unknown[] } | unknown[];
      assert.ok(Array.isArray(body) ? body.length > 0 : (body.nodes?.length ?? 0) > 0);
      assert.ok(apiMs < 1000, `fleet API took ${apiMs.toFixed(0)} ms under overload`);
      await sleep(1000);
      const during = sim.stats();
      assert.ok((during.batches.byStatus["503"] ?? 0) > 0, `shed: ${JSON.stringify(during.batches.byStatus)}`);
      assert.equal(during.retryAfterHonoured, during.batches.byStatus["503"], "every 503 carried a Retry-After the agents waited for");
      assert.equal(c.counters.batches.shed, during.batches.byStatus["503"]);
      assert.equal(during.batches.byStatus.timeout ?? 0, 0, "no request waited into its timeout: excess was refused, not queued");
      const s = await sim.drain(AbortSignal.timeout(30_000));
      assert.equal(s.pending, 0, "the backlog drained");
      assert.equal(s.dropped, 0);
      assert.equal(s.acked, s.generated, "nothing lost");
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
});
