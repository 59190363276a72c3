/**
 * An uplink with `transport: h2` and a `failover` list moves between two in-process collectors
 * (free loopback ports, HTTP/1.1 and h2c on each) that share one nats-server: one HTTP/2
 * session per collector, the shared ack carries the sequence over. Run: bash scripts/test.sh integration nats
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createUplink } from "../../agent/uplink.ts";
import { startCollector } from "../../collector/collector.ts";
import { parseCollectorConfig } from "../../collector/config.ts";
import { systemClock } from "../../runtime/clock.ts";
import { telemetrySchema } from "../../telemetry/telemetry_config.ts";
import { freePorts, startNats } from "./_nats.ts";

const TOKEN = "h2-failover-token-0123456789";

async function until(cond: () => boolean, what: () => string, ms = 15_000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`Cannot finish test: ${what()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("uplink failover over HTTP/2", () => {
  it("continues its sequence on the second collector after the first one stops", async () => {
    const dir = fs.mkdtempSync(join(tmpdir(), "ep-nats-h2-"));
    const [natsPort, mainA, mainB] = await freePorts(3);
    const nats = await startNats(dir, natsPort);
    const acA = new AbortController(), acB = new AbortController(), acU = new AbortController();
    const config = (listen: number) => parseCollectorConfig({
      listen: `127.0.0.1:${listen}`, auth: { sharedToken: TOKEN },
      store: { kind: "jetstream", servers: [`127.0.0.1:${natsPort}`], readModel: join(dir, `${listen}.db`), raw: true },
    }, {});
    try {
      const a = await startCollector(config(mainA), { signal: acA.signal, log: () => {} });
      const b = await startCollector(config(mainB), { signal: acB.signal, log: () => {} });
      const up = await createUplink(telemetrySchema.parse({
        collector: a.url, failover: [b.url], token: TOKEN, transport: "h2",
        spool: { dir: join(dir, "spool"), maxBytes: "1MiB" }, batch: { maxRecords: 20, interval: "10ms" }, backoff: { initial: "50ms", max: "200ms" },
      }), { agentId: "upf-h2", labels: { region: "west" }, clock: systemClock, log: () => {}, signal: acU.signal });
      const emit = (from: number, n: number) => {
        for (let i = from; i < from + n; i++) up.emit({ type: "probe-result", probe: `p${i % 2}`, kind: "pfcp", result: { ok: true, startedAt: Date.now(), latencyMs: 1, facts: { i } } });
      };
      up.emit({ type: "agent-start", at: Date.now(), version: "0.1.0" });
      emit(0, 60);
      await until(() => up.stats().lastAck?.seq === 61, () => `first 61 not acked: ${up.stats().lastError}`);
      assert.equal(up.stats().collector, `${a.url}/api/v1/ingest`);
      acA.abort();
      await a.finished;
      emit(60, 60);
      await until(() => up.stats().lastAck?.seq === 121, () => `last 60 not acked: ${up.stats().lastError}`);
      assert.equal(up.stats().collector, `${b.url}/api/v1/ingest`);
      // B's view follows the owner's node entry (written every stateEvery): wait for all 120 results.
      const results = async () => (await b.store.node("upf-h2", Date.now()))?.probeList.reduce((x, p) => x + p.okTotal, 0) ?? 0;
      const end = Date.now() + 10_000;
      while ((await results()) < 120 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      const node = await b.store.node("upf-h2", Date.now());
      assert.equal(node?.labels.region, "west");
      assert.deepEqual(node!.probeList.map((p) => p.okTotal), [60, 60], "120 results, each once");
      assert.equal((await b.store.stats()).gapRecords, 0);
      await up.close(AbortSignal.timeout(1000));
    } finally {
      acU.abort();
      acA.abort();
      acB.abort();
      await nats.stop("SIGTERM");
    }
  });
});
