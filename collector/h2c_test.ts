/** The uplink over HTTP/2 cleartext (prior knowledge) to the collector's one port: port 23013. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCollector } from "./collector.ts";
import { parseCollectorConfig } from "./config.ts";
import { createUplink } from "../agent/uplink.ts";
import { telemetrySchema } from "../telemetry/telemetry_config.ts";
import { systemClock } from "../runtime/clock.ts";
import { detectRuntime } from "../runtime/detect.ts";
import * as http2 from "node:http2";

const TOKEN = "h2c-test-token-0123456789abcdef";
const VIEWER = "h2c-viewer-token-0123456789abc";
const asViewer = { headers: { authorization: `Bearer ${VIEWER}` } };

/** One GET over h2c with prior knowledge (RFC 9113 §3.3), straight on node:http2. */
function h2Get(origin: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; contentType?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(origin);
    session.on("error", reject);
    const req = session.request({ ":method": "GET", ":path": path, ...headers });
    let status = 0, contentType: string | undefined, body = "";
    req.on("response", (h) => {
      status = Number(h[":status"]);
      contentType = h["content-type"] as string | undefined;
    });
    req.on("data", (d: Uint8Array) => (body += new TextDecoder().decode(d)));
    req.on("end", () => {
      session.close();
      resolve({ status, contentType, body });
    });
    req.on("error", reject);
  });
}

async function deliver(collectorUrl: string, dir: string, agentId: string): Promise<void> {
  const ac = new AbortController();
  const config = telemetrySchema.parse({ collector: collectorUrl, token: TOKEN, transport: "h2", spool: { dir: join(dir, `spool-${agentId}`), maxBytes: "1MiB" }, batch: { maxRecords: 10, interval: "10ms" } });
  const uplink = await createUplink(config, { agentId, labels: {}, clock: systemClock, log: () => {}, signal: ac.signal });
  for (let i = 0; i < 35; i++) uplink.emit({ type: "probe-result", probe: "n4", kind: "pfcp", result: { ok: true, startedAt: Date.now(), latencyMs: 1 } });
  const end = Date.now() + 10_000;
  while (uplink.stats().lastAck?.seq !== 35) {
    assert.ok(Date.now() < end, `not delivered over h2c: ${uplink.stats().lastError}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.ok(uplink.stats().sentBatches >= 4, "several batches over the one session");
  await uplink.close(AbortSignal.timeout(1000));
  ac.abort();
}

describe("h2c between uplink and collector", () => {
  it("the uplink with transport h2 delivers to the collector's main port, and the API answers over h2c there", async () => {
    const dir = fs.mkdtempSync(join(tmpdir(), "ep-h2c-"));
    const ac = new AbortController();
    const c = await startCollector(parseCollectorConfig({ listen: "127.0.0.1:23013", auth: { sharedToken: TOKEN, apiTokens: { test: { token: VIEWER } } }, store: { path: join(dir, "c.db") } }, {}), { signal: ac.signal, log: () => {} });
    try {
      // One port for HTTP/1.1 and h2c: Bun.serve({ http2: true }), Deno.serve (runtime/serve_http.ts).
      await deliver(c.url, dir, `upf-h2-${detectRuntime()}`);
      const res = await h2Get(c.url, `/api/v1/nodes/upf-h2-${detectRuntime()}`, asViewer.headers);
      assert.equal(res.status, 200);
      assert.equal((JSON.parse(res.body) as { probeList: { okTotal: number }[] }).probeList[0].okTotal, 35);
      const missing = await h2Get(c.url, "/api/v1/nodes/nope", asViewer.headers);
      assert.equal(missing.status, 404);
      assert.equal(missing.contentType, "application/problem+json");
      // Server-sent events stream through the h2c adapter: the first event arrives while the stream stays open.
      const session = http2.connect(c.url);
      const events = session.request({ ":method": "GET", ":path": "/api/v1/events", authorization: `Bearer ${VIEWER}` });
      let text = "";
      events.on("data", (d: Uint8Array) => (text += new TextDecoder().decode(d)));
      await new Promise((r) => events.once("response", r));
      await deliver(c.url, dir, "upf-sse");
      const end = Date.now() + 5000;
      while (!text.includes('"id":"upf-sse"') && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      assert.match(text, /event: node\ndata: \{"type":"node","node":\{"id":"upf-sse"/);
      events.close();
      session.close();
    } finally {
      ac.abort();
      await c.finished;
    }
  });
});
