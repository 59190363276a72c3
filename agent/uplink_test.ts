import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { backoffDelay, createUplink } from "./uplink.ts";
import { decodeBatch } from "../telemetry/codec.ts";
import { telemetrySchema } from "../telemetry/telemetry_config.ts";
import { systemClock } from "../runtime/clock.ts";
import type { AgentEvent } from "./events.ts";

const T0 = 1764000000000;
const probeEvent = (i: number): AgentEvent => ({
  type: "probe-result", probe: `p${i % 5}`, kind: "tcp",
  result: { ok: true, startedAt: T0 + i * 10, latencyMs: 1.5 + (i % 7) },
});

/** A fake collector: decodes with the real codec, keeps the highest contiguous seq per boot. */
function fakeCollector(behaviour: (n: number, firstSeq: number) => "ok" | "fail" | { ackOnly: number }) {
  const seen: number[] = [];
  const posts: { first: number; last: number }[] = [];
  let acked = 0;
  let n = 0;
  const fetch = (_url: string | URL, init?: RequestInit): Promise<Response> => {
    const batch = decodeBatch(new Uint8Array(init!.body as Uint8Array));
    const first = batch.records[0]?.seq ?? 0;
    posts.push({ first, last: batch.records[batch.records.length - 1]?.seq ?? 0 });
    const b = behaviour(n++, first);
    if (b === "fail") return Promise.resolve(new Response("down", { status: 503 }));
    let recs = batch.records;
    if (typeof b === "object") recs = recs.filter((r) => r.seq <= b.ackOnly);
    for (const r of recs) {
      if (r.seq === acked + 1) {
        seen.push(r.seq);
        acked = r.seq;
      }
    }
    return Promise.resolve(Response.json({ agentId: batch.agentId, bootId: batch.bootId, ack: acked }));
  };
  return { fetch, seen, posts };
}

const config = (dir: string) => telemetrySchema.parse({
  collector: "http://127.0.0.1:1/", spool: { dir, maxBytes: "4MiB" }, batch: { maxRecords: 100, interval: "20ms" }, backoff: { initial: "10ms", max: "40ms" },
});

async function until(cond: () => boolean, ms = 5000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("Cannot finish test: condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("createUplink()", () => {
  it("delivers every record exactly once and in order through collector failures", async () => {
    const dir = fs.mkdtempSync(join(tmpdir(), "ep-uplink-"));
    const c = fakeCollector((n) => (n < 3 || n === 6 ? "fail" : "ok"));
    const ac = new AbortController();
    const up = await createUplink(config(dir), { agentId: "a1", labels: { site: "s" }, bootId: "b1", clock: systemClock, log: () => {}, signal: ac.signal, fetch: c.fetch });
    up.emit({ type: "agent-start", at: T0, version: "0.1.0" });
    for (let i = 0; i < 999; i++) up.emit(probeEvent(i));
    await until(() => c.seen.length === 1000);
    assert.deepEqual(c.seen, Array.from({ length: 1000 }, (_, i) => i + 1));
    const st = up.stats();
    assert.equal(st.state, "connected");
    assert.equal(st.spool.records, 0);
    assert.equal(st.lastAck?.seq, 1000);
    assert.ok(st.failedSends >= 4);
    await up.close(AbortSignal.timeout(1000));
    assert.equal(up.stats().state, "closed");
    ac.abort();
  });

  it("resends from the last acknowledgement when the collector acks only part of a batch", async () => {
    const dir = fs.mkdtempSync(join(tmpdir(), "ep-uplink-"));
    const c = fakeCollector((n) => (n === 0 ? { ackOnly: 40 } : "ok"));
    const ac = new AbortController();
    const up = await createUplink(config(dir), { agentId: "a1", labels: {}, bootId: "b1", clock: systemClock, log: () => {}, signal: ac.signal, fetch: c.fetch });
    for (let i = 0; i < 100; i++) up.emit(probeEvent(i));
    await until(() => c.seen.length === 100);
    assert.equal(c.posts[0].first, 1);
    assert.equal(c.posts[1].first, 41, "the second post starts after the ack");
    await up.close(AbortSignal.timeout(1000));
    ac.abort();
  });

  it("reports records spooled while the collector is down, then drains them", async () => {
    const dir = fs.mkdtempSync(join(tmpdir(), "ep-uplink-"));
    let down = true;
    const c = fakeCollector(() => (down ? "fail" : "ok"));
    const ac = new AbortController();
    const up = await createUplink(config(dir), { agentId: "a1", labels: {}, bootId: "b1", clock: systemClock, log: () => {}, signal: ac.signal, fetch: c.fetch });
    for (let i = 0; i < 50; i++) up.emit(probeEvent(i));
    await until(() => up.stats().state === "backoff");
    assert.equal(up.stats().spool.records, 50);
    assert.ok(up.stats().lastError?.startsWith("Cannot deliver telemetry batch"));
    down = false;
    await until(() => c.seen.length === 50);
    await up.close(AbortSignal.timeout(1000));
    ac.abort();
  });

  it("moves to the next collector of `failover` when a send fails, and stays there", async () => {
    const dir = fs.mkdtempSync(join(tmpdir(), "ep-uplink-"));
    const c = fakeCollector(() => "ok");
    const hits: string[] = [];
    const fetch = (url: string | URL, init?: RequestInit) => {
      hits.push(String(url));
      if (String(url).startsWith("http://a.test")) return Promise.reject(new TypeError("connection refused"));
      return c.fetch(url, init);
    };
    const cfg = telemetrySchema.parse({
      collector: "http://a.test:9400", failover: ["http://b.test:9400/"], spool: { dir, maxBytes: "4MiB" },
      batch: { maxRecords: 20, interval: "20ms" }, backoff: { initial: "10ms", max: "40ms" },
    });
    const ac = new AbortController();
    const up = await createUplink(cfg, { agentId: "a1", labels: {}, bootId: "b1", clock: systemClock, log: () => {}, signal: ac.signal, fetch });
    for (let i = 0; i < 100; i++) up.emit(probeEvent(i));
    await until(() => c.seen.length === 100);
    assert.deepEqual(c.seen, Array.from({ length: 100 }, (_, i) => i + 1));
    assert.equal(hits[0], "http://a.test:9400/api/v1/ingest");
    assert.ok(hits.slice(1).every((h) => h === "http://b.test:9400/api/v1/ingest"), "after one failure every send goes to the failover collector");
    assert.equal(up.stats().collector, "http://b.test:9400/api/v1/ingest");
    await up.close(AbortSignal.timeout(1000));
    ac.abort();
  });
});

describe("backoffDelay()", () => {
  it("doubles from initial up to max, with half of it random", () => {
    assert.equal(backoffDelay(0, 100, 1000, () => 0), 50);
    assert.equal(backoffDelay(0, 100, 1000, () => 1), 100);
    assert.equal(backoffDelay(3, 100, 1000, () => 1), 800);
    assert.equal(backoffDelay(10, 100, 1000, () => 1), 1000);
    assert.equal(backoffDelay(60, 100, 1000, () => 0.5), 750);
  });
});
