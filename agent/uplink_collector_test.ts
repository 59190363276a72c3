/** The uplink against the real collector handler (no sockets): drops, gaps and exactly-once end to end. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createUplink } from "./uplink.ts";
import { telemetrySchema } from "../telemetry/telemetry_config.ts";
import { systemClock } from "../runtime/clock.ts";
import { createCollectorHandler } from "../collector/collector.ts";
import { parseCollectorConfig } from "../collector/config.ts";
import { openSqliteStore } from "../collector/sqlite_store.ts";

const TOKEN = "uplink-collector-token-0123456789";

async function until(cond: () => boolean | Promise<boolean>, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("Cannot finish test: condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("uplink → collector", () => {
  it("a full spool drops the oldest records, reports a spool-drop record, and the collector accepts the gap", async () => {
    const dir = fs.mkdtempSync(join(tmpdir(), "ep-e2e-"));
    const store = await openSqliteStore({ path: join(dir, "c.db") });
    const { handler, close } = createCollectorHandler(parseCollectorConfig({ auth: { sharedToken: TOKEN } }, {}), store, { now: Date.now, log: () => {} });
    let up = false;
    const fetch = (url: string | URL, init?: RequestInit) => up ? handler(new Request(url, init)) : Promise.reject(new TypeError("connection refused"));
    const config = telemetrySchema.parse({
      collector: "http://collector.test", token: TOKEN, spool: { dir: join(dir, "spool"), maxBytes: "64KiB", segmentBytes: "8KiB" },
      batch: { maxRecords: 200, interval: "20ms" }, backoff: { initial: "10ms", max: "50ms" },
    });
    const ac = new AbortController();
    const uplink = await createUplink(config, { agentId: "upf-1", labels: { site: "s1" }, bootId: "b1", clock: systemClock, log: () => {}, signal: ac.signal, fetch });
    uplink.emit({ type: "agent-start", at: Date.now(), version: "0.1.0" });
    for (let i = 0; i < 3000; i++) {
      uplink.emit({ type: "probe-result", probe: `p${i % 4}`, kind: "tcp", result: { ok: i % 10 !== 0, startedAt: Date.now(), latencyMs: 2, ...(i % 10 === 0 ? { failure: { kind: "refused", message: "Cannot connect: refused" } } : {}) } });
    }
    await new Promise((r) => setTimeout(r, 0)); // the deferred spool-drop records
    const st = uplink.stats();
    assert.ok(st.spool.droppedRecords > 0, "the 64KiB spool overflowed");
    assert.ok(st.spool.bytes <= 64 * 1024);
    up = true;
    await until(() => uplink.stats().spool.records === 0);
    const stats = await store.stats();
    const dropped = uplink.stats().spool.droppedRecords;
    assert.equal(stats.gapRecords, dropped, "the collector's gap equals what the spool dropped");
    const node = (await store.node("upf-1", Date.now()))!;
    assert.equal(node.spoolDrops, dropped, "spool-drop records report every dropped record");
    assert.ok(node.events.some((e) => e.type === "spool-drop"));
    // Everything not dropped arrived exactly once.
    assert.equal(stats.records, uplink.stats().lastAck!.seq - dropped);
    const results = node.probeList.reduce((a, p) => a + p.okTotal + p.failTotal, 0);
    // dropped counts probe results plus any agent-start or spool-drop record that went with them.
    assert.ok(results >= 3000 - dropped && results < 3000, `${results} probe results stored, ${dropped} dropped`);
    await uplink.close(AbortSignal.timeout(1000));
    ac.abort();
    close();
    await store.close();
  });
});
