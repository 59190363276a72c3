import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createUplink } from "./uplink.ts";
import { decodeBatch } from "../telemetry/codec.ts";
import { telemetrySchema } from "../telemetry/telemetry_config.ts";
import { systemClock } from "../runtime/clock.ts";

describe("uplink against an overloaded collector", () => {
  it("waits at least as long as Retry-After asks, though its own backoff is 10-40 ms, then delivers", async () => {
    const dir = fs.mkdtempSync(join(tmpdir(), "ep-uplink-ra-"));
    const posts: number[] = [];
    let acked = 0;
    const fetch = (_u: string | URL, init?: RequestInit): Promise<Response> => {
      posts.push(Date.now());
      if (posts.length === 1) return Promise.resolve(new Response("busy", { status: 503, headers: { "retry-after": "1" } }));
      const b = decodeBatch(new Uint8Array(init!.body as Uint8Array));
      acked = b.records[b.records.length - 1].seq;
      return Promise.resolve(Response.json({ agentId: b.agentId, bootId: b.bootId, ack: acked }));
    };
    const config = telemetrySchema.parse({
      collector: "http://127.0.0.1:1/", spool: { dir, maxBytes: "1MiB" }, batch: { maxRecords: 10, interval: "10ms" }, backoff: { initial: "10ms", max: "40ms" },
    });
    const ac = new AbortController();
    const up = await createUplink(config, { agentId: "a1", labels: {}, bootId: "b1", clock: systemClock, log: () => {}, signal: ac.signal, fetch });
    try {
      up.emit({ type: "agent-stop", at: Date.now(), reason: "test" });
      const end = Date.now() + 5000;
      while (acked < 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      assert.equal(acked, 1);
      assert.ok(posts[1] - posts[0] >= 1000, `resent after ${posts[1] - posts[0]} ms`);
      assert.ok(posts[1] - posts[0] <= 1700, "with at most +50 % jitter (and a little scheduling)");
    } finally {
      await up.close(AbortSignal.timeout(1000));
      ac.abort();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("after an outage, follows the returned collector's Retry-After instead of the outage's backoff", async () => {
    const dir = fs.mkdtempSync(join(tmpdir(), "ep-uplink-ra-"));
    const posts: { at: number; answer: string }[] = [];
    let acked = 0;
    // Ten refused connections (1 ms doubling: the last waits 256-512 ms), then a 503 that asks
    // for no wait, then an ack. Counted on from the outage, the wait after the 503 would be the
    // eleventh step, 512-1024 ms; the collector's answer starts a new count (1-2 ms).
    const fetch = (_u: string | URL, init?: RequestInit): Promise<Response> => {
      const n = posts.length;
      if (n < 10) {
        posts.push({ at: performance.now(), answer: "refused" });
        return Promise.reject(new TypeError("fetch failed: connection refused"));
      }
      if (n === 10) {
        posts.push({ at: performance.now(), answer: "503" });
        return Promise.resolve(new Response("busy", { status: 503, headers: { "retry-after": "0" } }));
      }
      posts.push({ at: performance.now(), answer: "200" });
      const b = decodeBatch(new Uint8Array(init!.body as Uint8Array));
      acked = b.records[b.records.length - 1].seq;
      return Promise.resolve(Response.json({ agentId: b.agentId, bootId: b.bootId, ack: acked }));
    };
    const config = telemetrySchema.parse({
      collector: "http://127.0.0.1:1/", spool: { dir, maxBytes: "1MiB" }, batch: { maxRecords: 10, interval: "10ms" }, backoff: { initial: "1ms", max: "1h" },
    });
    const ac = new AbortController();
    const up = await createUplink(config, { agentId: "a1", labels: {}, bootId: "b1", clock: systemClock, log: () => {}, signal: ac.signal, fetch });
    try {
      up.emit({ type: "agent-stop", at: Date.now(), reason: "test" });
      const end = Date.now() + 10_000;
      while (acked < 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
      assert.equal(acked, 1);
      assert.deepEqual(posts.map((p) => p.answer), [...Array(10).fill("refused"), "503", "200"]);
      const lastOutageWait = posts[10].at - posts[9].at;
      const afterShed = posts[11].at - posts[10].at;
      assert.ok(lastOutageWait >= 256, `the outage's backoff grew: ${lastOutageWait.toFixed(0)} ms`);
      assert.ok(afterShed < 200, `resent ${afterShed.toFixed(0)} ms after the 503, not after the outage's next step`);
    } finally {
      await up.close(AbortSignal.timeout(1000));
      ac.abort();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
