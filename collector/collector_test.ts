import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encode as cborgEncode } from "cborg";
import { createCollectorHandler, startCollector } from "./collector.ts";
import { parseCollectorConfig } from "./config.ts";
import { openSqliteStore } from "./sqlite_store.ts";
import { type Store, StoreUnavailableError } from "./store.ts";
import { encodeBatch } from "../telemetry/codec.ts";
import type { TelemetryRecord } from "../telemetry/record.ts";

const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);
const TOKEN_A = "token-for-upf-1-0123456789";
const SHARED = "shared-token-0123456789abcdef";
const VIEWER = "viewer-token-0123456789abcdef";
const config = (dir: string, extra: Record<string, unknown> = {}) =>
  parseCollectorConfig({ listen: "127.0.0.1:0", auth: { tokens: { "upf-1": TOKEN_A }, sharedToken: SHARED, apiTokens: { grafana: { role: "viewer", token: VIEWER } } }, store: { path: join(dir, "c.db") }, limits: { maxBodyBytes: "64KiB" }, ...extra }, {});

const recs = (first: number, n: number): TelemetryRecord[] =>
  Array.from({ length: n }, (_, i) => ({ seq: first + i, type: "probe", at: T0 + (first + i) * 1000, probe: "n4", kind: "pfcp", ok: true, latencyUs: 1500 }) as TelemetryRecord);
const body = (agentId: string, first: number, n: number) => encodeBatch({ agentId, bootId: "b1", records: recs(first, n) });
/** A read-side request with the viewer's API token (the read side is closed without one). */
const read = (url: string) => new Request(url, { headers: { authorization: `Bearer ${VIEWER}` } });
const post = (b: BodyInit, headers: Record<string, string> = {}) =>
  new Request("http://collector/api/v1/ingest", { method: "POST", body: b, headers: { authorization: `Bearer ${TOKEN_A}`, "content-type": "application/vnd.edgeprobe.telemetry+cbor; v=1", ...headers } });

describe("collector handler", () => {
  let store: Store;
  let handler: (r: Request) => Promise<Response>;
  let close: () => void;
  let dir: string;
  before(async () => {
    dir = fs.mkdtempSync(join(tmpdir(), "ep-coll-"));
    store = await openSqliteStore({ path: join(dir, "c.db") });
    ({ handler, close } = createCollectorHandler(config(dir), store, { now: () => T0 + 3_600_000, log: () => {} }));
  });
  after(async () => {
    close();
    await store.close();
  });

  const expectProblem = async (res: Response, status: number, type: string) => {
    assert.equal(res.status, status);
    assert.equal(res.headers.get("content-type"), "application/problem+json");
    const p = await res.json() as { type: string; status: number; detail: string };
    assert.equal(p.type, `https://edgeprobe.dev/problems/${type}`);
    assert.equal(p.status, status);
    assert.match(p.detail ?? "", /^Cannot /);
  };

  it("acknowledges a batch with the highest contiguous seq, and a replay stores nothing twice", async () => {
    let res = await handler(post(body("upf-1", 1, 50)));
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { agentId: "upf-1", bootId: "b1", ack: 50, stored: 50, duplicates: 0, gap: 0 });
    res = await handler(post(body("upf-1", 1, 50)));
    assert.deepEqual(await res.json(), { agentId: "upf-1", bootId: "b1", ack: 50, stored: 0, duplicates: 50, gap: 0 });
  });

  it("answers bad input with 4xx problem+json and loses or duplicates nothing already stored", async () => {
    await expectProblem(await handler(post(body("upf-1", 51, 5), { authorization: "" })), 401, "unauthorized");
    await expectProblem(await handler(post(body("upf-1", 51, 5), { authorization: "Bearer wrong-token-0123456789" })), 401, "unauthorized");
    await expectProblem(await handler(post(body("upf-2", 1, 5))), 403, "forbidden-agent");
    await expectProblem(await handler(post(new Uint8Array([0x87, 0x01, 0x66]))), 400, "malformed-batch");
    await expectProblem(await handler(post(cborgEncode([2, "upf-1", "b1", 51, T0, [], []]))), 400, "unsupported-wire-version");
    await expectProblem(await handler(post(body("upf-1", 51, 5), { "content-type": "application/json" })), 415, "unsupported-media-type");
    await expectProblem(await handler(post(new Uint8Array(70 * 1024))), 413, "body-too-large");
    // A body without Content-Length (a stream) is cut at the limit too.
    const stream = new ReadableStream({ pull(c) { c.enqueue(new Uint8Array(16 * 1024)); } });
    await expectProblem(await handler(new Request("http://collector/api/v1/ingest", {
      method: "POST", body: stream, headers: { authorization: `Bearer ${TOKEN_A}`, "content-type": "application/cbor" }, duplex: "half",
    } as RequestInit)), 413, "body-too-large");
    const node = await (await handler(read("http://collector/api/v1/nodes/upf-1"))).json() as { probeList: { okTotal: number }[] };
    assert.equal(node.probeList[0].okTotal, 50, "exactly the 50 good records");
    const res = await handler(post(body("upf-1", 51, 10)));
    assert.equal((await res.json() as { ack: number }).ack, 60);
  });

  it("the shared token admits any agent id", async () => {
    const res = await handler(post(body("upf-9", 1, 3), { authorization: `Bearer ${SHARED}` }));
    assert.equal(res.status, 200);
  });

  it("answers 503 with Retry-After when the store cannot answer a read yet (a JetStream partition without an owner, or replaying)", async () => {
    const unavailable = () => Promise.reject(new StoreUnavailableError("Cannot answer for partition 3: it is being replayed after a takeover", 5));
    const replaying: Store = { ...store, history: unavailable, latency: unavailable };
    delete (replaying as { historyBody?: unknown }).historyBody;
    delete (replaying as { latencyBody?: unknown }).latencyBody;
    const h = createCollectorHandler(config(dir), replaying, { now: () => T0 + 3_600_000, log: () => {} });
    try {
      for (const url of [`http://c/api/v1/nodes/upf-1/probes/n4/history?from=${T0}&to=${T0 + 3_600_000}&step=5m`, `http://c/api/v1/probes/n4/latency?from=${T0}&to=${T0 + 3_600_000}`]) {
        const res = await h.handler(read(url));
        assert.equal(res.headers.get("retry-after"), "5", url);
        await expectProblem(res, 503, "store-unavailable");
      }
    } finally {
      h.close();
    }
  });

  it("serves the fleet, a node, history, cross-node latency, /metrics and /healthz", async () => {
    const fleet = await (await handler(read("http://c/api/v1/fleet"))).json() as { nodes: { id: string; online: boolean }[] };
    assert.deepEqual(fleet.nodes.map((n) => n.id), ["upf-1", "upf-9"]);
    await expectProblem(await handler(read("http://c/api/v1/nodes/nope")), 404, "not-found");
    const h = await (await handler(read(`http://c/api/v1/nodes/upf-1/probes/n4/history?from=${T0}&to=${T0 + 3_600_000}&step=5m`))).json() as { points: { t: number; count: number; p50: number }[]; summary: { count: number; p99: number } };
    assert.equal(h.summary.count, 60);
    assert.ok(Math.abs(h.summary.p99 - 1.5) / 1.5 <= 0.01);
    assert.equal(h.points.reduce((a, p) => a + p.count, 0), 60);
    await expectProblem(await handler(read(`http://c/api/v1/nodes/upf-1/probes/n4/history?step=10s`)), 400, "bad-query");
    const lat = await (await handler(read(`http://c/api/v1/probes/n4/latency?from=${T0}&to=${T0 + 3_600_000}`))).json() as { count: number };
    assert.equal(lat.count, 63);
    const metrics = await (await handler(read("http://c/metrics"))).text();
    assert.match(metrics, /^edgeprobe_collector_ingest_batches_total\{result="ok"\} \d+$/m);
    assert.match(metrics, /^edgeprobe_collector_ingest_batches_total\{result="malformed"\} 1$/m);
    assert.match(metrics, /^edgeprobe_probe_results_total\{node="upf-1",probe="n4",result="ok"\} 60$/m);
    const hz = await handler(new Request("http://c/healthz"));
    assert.deepEqual(await hz.json(), { status: "UP" });
    await expectProblem(await handler(read("http://c/nope")), 404, "not-found");
  });

  it("streams changes as server-sent events", async () => {
    const res = await handler(read("http://c/api/v1/events"));
    assert.equal(res.headers.get("content-type"), "text/event-stream");
    const reader = res.body!.getReader();
    await handler(post(encodeBatch({ agentId: "upf-1", bootId: "b1", records: [{ seq: 61, type: "state", at: T0, probe: "n4", from: "unknown", to: "healthy" }] })));
    let text = "";
    while (!text.includes("event: probe-state")) text += new TextDecoder().decode((await reader.read()).value);
    assert.match(text, /data: \{"type":"probe-state","node":"upf-1","probe":"n4","from":"unknown","to":"healthy"/);
    await reader.cancel();
  });
});

describe("startCollector()", () => {
  it("serves ingest over a real socket and stops on abort", async () => {
    const dir = fs.mkdtempSync(join(tmpdir(), "ep-coll-"));
    const ac = new AbortController();
    const c = await startCollector(parseCollectorConfig({ listen: "127.0.0.1:23011", auth: { sharedToken: SHARED }, store: { path: join(dir, "c.db") } }, {}), { signal: ac.signal, log: () => {} });
    assert.equal(c.url, "http://127.0.0.1:23011");
    const res = await fetch(`${c.url}/api/v1/ingest`, { method: "POST", body: body("upf-1", 1, 3), headers: { authorization: `Bearer ${SHARED}`, "content-type": "application/cbor" } });
    assert.equal((await res.json() as { ack: number }).ack, 3);
    ac.abort();
    await c.finished;
  });
});
