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

describe("createUplink() failback (telemetry.failback)", () => {
  for (const failback of ["60ms", "0s"]) {
    it(`after ${failback === "0s" ? "no failback" : `a failback of ${failback}`}, ${failback === "0s" ? "stays on the failover collector" : "returns to the primary once it answers again"}, every record once and in order`, async () => {
      const dir = fs.mkdtempSync(join(tmpdir(), "ep-uplink-"));
      const c = fakeCollector(() => "ok");
      const hits: string[] = [];
      let primaryDown = true;
      const fetch = (url: string | URL, init?: RequestInit) => {
        hits.push(String(url));
        if (primaryDown && String(url).startsWith("http://a.test")) return Promise.reject(new TypeError("connection refused"));
        return c.fetch(url, init);
      };
      const cfg = telemetrySchema.parse({
        collector: "http://a.test:9400", failover: ["http://b.test:9400/"], failback, spool: { dir, maxBytes: "4MiB" },
        batch: { maxRecords: 20, interval: "20ms" }, backoff: { initial: "10ms", max: "40ms" },
      });
      const ac = new AbortController();
      const up = await createUplink(cfg, { agentId: "a1", labels: {}, bootId: "b1", clock: systemClock, log: () => {}, signal: ac.signal, fetch });
      for (let i = 0; i < 50; i++) up.emit(probeEvent(i));
      await until(() => c.seen.length === 50);
      assert.equal(up.stats().collector, "http://b.test:9400/api/v1/ingest");
      primaryDown = false;
      await new Promise((r) => setTimeout(r, 120));
      const before = hits.length;
      for (let i = 50; i < 100; i++) up.emit(probeEvent(i));
      await until(() => c.seen.length === 100);
      assert.deepEqual(c.seen, Array.from({ length: 100 }, (_, i) => i + 1));
      const later = hits.slice(before);
      const want = failback === "0s" ? "http://b.test:9400/api/v1/ingest" : "http://a.test:9400/api/v1/ingest";
      assert.ok(later.length > 0 && later.every((h) => h === want), `sends after the primary came back: ${later.join(", ")}`);
      assert.equal(up.stats().collector, want);
      await up.close(AbortSignal.timeout(1000));
      ac.abort();
    });
  }
});

describe("createUplink() under faults", () => {
  it("a spool that cannot be opened: no throw, telemetry degraded with one log line, retried until it opens, lost events reported", async () => {
    const base = fs.mkdtempSync(join(tmpdir(), "ep-uplink-"));
    const dir = join(base, "spool");
    fs.writeFileSync(dir, "a file where the spool directory should be");
    // Accepts a seq gap as the collector does (the lost events' seqs are skipped).
    const stored: { seq: number; type: string; records?: number }[] = [];
    const c = {
      fetch: (_url: string | URL, init?: RequestInit): Promise<Response> => {
        const batch = decodeBatch(new Uint8Array(init!.body as Uint8Array));
        for (const r of batch.records) if (!stored.some((x) => x.seq === r.seq)) stored.push({ seq: r.seq, type: r.type, records: (r as { records?: number }).records });
        return Promise.resolve(Response.json({ agentId: batch.agentId, bootId: batch.bootId, ack: batch.records[batch.records.length - 1].seq }));
      },
    };
    const logs: { msg: string; fields?: Record<string, unknown> }[] = [];
    const ac = new AbortController();
    const up = await createUplink(config(dir), { agentId: "a1", labels: {}, bootId: "b1", clock: systemClock, log: (_l, msg, fields) => void logs.push({ msg, fields }), signal: ac.signal, fetch: c.fetch });
    for (let i = 0; i < 5; i++) up.emit(probeEvent(i));
    const st = up.stats();
    assert.equal(st.telemetry.status, "degraded");
    assert.equal(st.telemetry.reason, "spool-unopenable");
    assert.match(st.telemetry.error ?? "", /Cannot open spool/);
    assert.equal(st.spool.droppedRecords, 5);
    await new Promise((r) => setTimeout(r, 50)); // a few retries
    assert.equal(logs.filter((l) => l.fields?.event === "telemetry-degraded").length, 1, "one line per episode");
    fs.rmSync(dir);
    await until(() => up.stats().telemetry.status === "ok");
    up.emit(probeEvent(9));
    // The 5 lost events' seqs (1-5) are skipped; then the record and a spool-drop record saying 5.
    await until(() => stored.length === 2);
    assert.deepEqual(stored, [{ seq: 6, type: "probe", records: undefined }, { seq: 7, type: "spool-drop", records: 5 }]);
    assert.ok(logs.some((l) => l.fields?.event === "telemetry-restored"));
    await up.close(AbortSignal.timeout(1000));
    ac.abort();
  });

  it("a batch refused with 400 is quarantined, counted by its problem type, reported, and the stream moves on; 401 and 503 are retried", async () => {
    const dir = fs.mkdtempSync(join(tmpdir(), "ep-uplink-"));
    const received: { first: number; types: string[] }[] = [];
    let acked = 0;
    let n = 0;
    const fetch = (_url: string | URL, init?: RequestInit): Promise<Response> => {
      const batch = decodeBatch(new Uint8Array(init!.body as Uint8Array));
      const first = batch.records[0].seq;
      n++;
      if (n === 1) return Promise.resolve(new Response("{}", { status: 401 }));
      if (n === 2) return Promise.resolve(new Response("{}", { status: 503 }));
      if (first === 1) {
        return Promise.resolve(new Response(JSON.stringify({ type: "https://edgeprobe.dev/problems/malformed-batch", title: "Bad Request", status: 400 }), { status: 400, headers: { "content-type": "application/problem+json" } }));
      }
      received.push({ first, types: batch.records.map((r) => r.type) });
      acked = batch.records[batch.records.length - 1].seq;
      return Promise.resolve(Response.json({ agentId: batch.agentId, bootId: batch.bootId, ack: acked }));
    };
    const ac = new AbortController();
    const up = await createUplink(config(dir), { agentId: "a1", labels: {}, bootId: "b1", clock: systemClock, log: () => {}, signal: ac.signal, fetch });
    for (let i = 0; i < 10; i++) up.emit(probeEvent(i));
    await until(() => up.stats().rejectedRecords["malformed-batch"] === 10);
    assert.ok(up.stats().failedSends >= 2, "401 and 503 were retries");
    up.emit(probeEvent(10));
    await until(() => received.some((b) => b.types.includes("spool-drop")));
    assert.equal(received[0].first, 11, "the stream moved on after the refused batch");
    assert.equal(up.stats().spool.droppedRecords, 10);
    const q = fs.readdirSync(join(dir, "quarantine"));
    assert.deepEqual(q, ["b1-1-10-malformed-batch.cbor"]);
    assert.equal(decodeBatch(new Uint8Array(fs.readFileSync(join(dir, "quarantine", q[0])))).records.length, 10, "the refused body is kept as sent");
    await up.close(AbortSignal.timeout(1000));
    ac.abort();
  });

  it("an ack above any seq it spooled is a protocol error: records kept, counted, logged once, resent", async () => {
    const dir = fs.mkdtempSync(join(tmpdir(), "ep-uplink-"));
    let poison = 3;
    const seen: number[] = [];
    const fetch = (_url: string | URL, init?: RequestInit): Promise<Response> => {
      const batch = decodeBatch(new Uint8Array(init!.body as Uint8Array));
      if (poison-- > 0) return Promise.resolve(Response.json({ agentId: batch.agentId, bootId: batch.bootId, ack: 2 ** 52 }));
      for (const r of batch.records) if (!seen.includes(r.seq)) seen.push(r.seq);
      return Promise.resolve(Response.json({ agentId: batch.agentId, bootId: batch.bootId, ack: batch.records[batch.records.length - 1].seq }));
    };
    const logs: string[] = [];
    const ac = new AbortController();
    const up = await createUplink(config(dir), { agentId: "a1", labels: {}, bootId: "b1", clock: systemClock, log: (_l, m) => void logs.push(m), signal: ac.signal, fetch });
    for (let i = 0; i < 20; i++) up.emit(probeEvent(i));
    await until(() => seen.length === 20);
    assert.deepEqual(seen, Array.from({ length: 20 }, (_, i) => i + 1), "nothing was released by the poisoned acks");
    assert.equal(up.stats().ackProtocolErrors, 3);
    assert.equal(logs.filter((m) => m.includes("above any this agent spooled")).length, 1);
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

describe("createUplink() steering (Edgeprobe-Steer)", () => {
  /** Three named collectors sharing one ack (the fakeCollector); `steer(url)` says what each answer's header names. */
  const steered = (steer: (url: string) => string | undefined, cfg: Record<string, unknown> = {}) => {
    const dir = fs.mkdtempSync(join(tmpdir(), "ep-uplink-"));
    const c = fakeCollector(() => "ok");
    const hits: string[] = [];
    const fetch = async (url: string | URL, init?: RequestInit) => {
      hits.push(String(url));
      const res = await c.fetch(url, init);
      const to = steer(String(url));
      if (to !== undefined) res.headers.set("Edgeprobe-Steer", to);
      return res;
    };
    const config = telemetrySchema.parse({
      collector: "http://a.test:9400", failover: ["http://b.test:9400/", "http://C.TEST:9400"], failback: "0s", spool: { dir, maxBytes: "4MiB" },
      batch: { maxRecords: 10, interval: "10ms" }, backoff: { initial: "10ms", max: "40ms" }, ...cfg,
    });
    /** An uplink on these collectors (through `via`, default the steering fetch), its log lines kept. */
    const open = async (via: typeof fetch = fetch) => {
      const ac = new AbortController();
      const logs: string[] = [];
      const up = await createUplink(config, { agentId: "a1", labels: {}, bootId: "b1", clock: systemClock, log: (_l, m) => logs.push(m), signal: ac.signal, fetch: via });
      return {
        up, logs,
        /** Emit probe results until `to` were emitted in all, and wait until the collector stored them. */
        send: async (to: number) => {
          for (let i = c.seen.length; i < to; i++) up.emit(probeEvent(i));
          await until(() => c.seen.length === to);
        },
        close: async () => {
          await up.close(AbortSignal.timeout(1000));
          ac.abort();
        },
      };
    };
    return { c, hits, fetch, config, open };
  };

  it("follows a hint to a configured collector for the later sends, every record once and in order", async () => {
    // Every collector but c names c (in another spelling: compared normalised).
    const t = steered((url) => (url.startsWith("http://c.test") ? undefined : "http://c.test:9400/"));
    const { up, logs, send, close } = await t.open();
    await send(100);
    assert.deepEqual(t.c.seen, Array.from({ length: 100 }, (_, i) => i + 1));
    assert.equal(t.hits[0], "http://a.test:9400/api/v1/ingest", "the first send goes to the primary");
    assert.ok(t.hits.slice(1).every((h) => h === "http://c.test:9400/api/v1/ingest"), `after the hint every send goes to c: ${t.hits.join(", ")}`);
    assert.equal(up.stats().collector, "http://c.test:9400/api/v1/ingest");
    assert.equal(up.stats().steers, 1);
    assert.equal(up.stats().failedSends, 0);
    assert.equal(logs.filter((m) => m.startsWith("uplink: steered")).length, 1);
    await close();
  });

  it("ignores a hint to a URL it was not configured with, logs it once and counts each", async () => {
    const t = steered(() => "http://rogue.test:9400/");
    const { up, logs, send, close } = await t.open();
    await send(100);
    assert.deepEqual(t.c.seen, Array.from({ length: 100 }, (_, i) => i + 1));
    assert.ok(t.hits.length >= 10 && t.hits.every((h) => h === "http://a.test:9400/api/v1/ingest"), "it stays on its collector");
    assert.equal(up.stats().steers, 0);
    assert.equal(up.stats().steersIgnored, t.hits.length);
    assert.equal(logs.filter((m) => m.startsWith("uplink: ignoring a steering hint")).length, 1);
    await close();
  });

  it("follows at most one hint per steerEvery: collectors naming each other cannot ping-pong it", async () => {
    // a names b, b names a: a lease moving back and forth, as seen from the agent.
    const t = steered((url) => (url.startsWith("http://a.test") ? "http://b.test:9400" : "http://a.test:9400"), { steerEvery: "1h" });
    const { up, send, close } = await t.open();
    await send(100);
    assert.deepEqual(t.c.seen, Array.from({ length: 100 }, (_, i) => i + 1));
    assert.equal(up.stats().steers, 1);
    assert.ok(t.hits.slice(1).every((h) => h === "http://b.test:9400/api/v1/ingest"), t.hits.join(", "));
    await close();
  });

  it("steerEvery 0s ignores every hint", async () => {
    const t = steered(() => "http://b.test:9400/", { steerEvery: "0s" });
    const { up, send, close } = await t.open();
    await send(30);
    assert.ok(t.hits.every((h) => h === "http://a.test:9400/api/v1/ingest"));
    assert.equal(up.stats().steers, 0);
    assert.equal(up.stats().steersIgnored, 0, "turned off is not 'ignored as unknown'");
    await close();
  });

  it("failback returns to the primary, which steers it back: one extra hop per failback, never a fight", async () => {
    const t = steered((url) => (url.startsWith("http://c.test") ? undefined : "http://c.test:9400/"), { failback: "60ms", steerEvery: "10ms", batch: { maxRecords: 5, interval: "10ms" } });
    const { up, send, close } = await t.open();
    for (let round = 0; round < 30; round++) {
      await send(round * 5 + 5);
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.deepEqual(t.c.seen, Array.from({ length: 150 }, (_, i) => i + 1));
    const onA = t.hits.flatMap((h, i) => (h.startsWith("http://a.test") ? [i] : []));
    assert.ok(onA.length >= 2, `failback happened: ${onA.length} sends to a`);
    assert.ok(onA.every((i) => i === t.hits.length - 1 || t.hits[i + 1].startsWith("http://c.test")), `each send to a is followed by one to c: ${t.hits.join(", ")}`);
    assert.ok(t.hits.filter((h) => h.startsWith("http://c.test")).length > onA.length, "most sends go to c");
    assert.equal(up.stats().steers, onA.length, "every answer of a steered it");
    await close();
  });

  it("a steered target that fails: the normal failover moves on, records still once and in order", async () => {
    let cDown = false;
    const t = steered((url) => (url.startsWith("http://c.test") ? undefined : "http://c.test:9400/"));
    const fetch = (url: string | URL, init?: RequestInit) => (cDown && String(url).startsWith("http://c.test") ? Promise.reject(new TypeError("connection refused")) : t.fetch(url, init));
    const { up, send, close } = await t.open(fetch);
    await send(30);
    assert.equal(up.stats().collector, "http://c.test:9400/api/v1/ingest");
    cDown = true;
    await send(60);
    assert.deepEqual(t.c.seen, Array.from({ length: 60 }, (_, i) => i + 1));
    assert.ok(up.stats().failedSends >= 1);
    // Round robin after c is a; a names c again, but the steer is held for steerEvery (30 s).
    assert.equal(up.stats().collector, "http://a.test:9400/api/v1/ingest");
    assert.equal(up.stats().steers, 1);
    await close();
  });
});
