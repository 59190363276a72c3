import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCollectorHandler } from "./collector.ts";
import { parseCollectorConfig } from "./config.ts";
import { openSqliteStore } from "./sqlite_store.ts";
import type { Store } from "./store.ts";
import { encodeBatch } from "../telemetry/codec.ts";
import type { TelemetryRecord } from "../telemetry/record.ts";

const NOW = Date.UTC(2026, 10, 30, 7, 0, 0);
const VIEWER = "viewer-token-0123456789abcdef";
const AGENT = "agent-token-0123456789abcdef";

describe("bounded reads", () => {
  let store: Store;
  let handler: (r: Request) => Promise<Response>;
  let close: () => void;
  let dir: string;
  const logs: Array<{ msg: string; fields?: Record<string, unknown> }> = [];
  const get = (path: string) => handler(new Request(`http://c${path}`, { headers: { authorization: `Bearer ${VIEWER}` } }));
  const detail = async (res: Response) => (await res.json() as { detail: string }).detail;

  before(async () => {
    dir = fs.mkdtempSync(join(tmpdir(), "ep-reads-"));
    store = await openSqliteStore({ path: join(dir, "c.db") });
    const config = parseCollectorConfig({
      auth: { sharedToken: AGENT, apiTokens: { noc: { token: VIEWER } } },
      store: { path: join(dir, "c.db") },
      limits: { maxQueryWindow: "48h", maxQueryRows: 5000, maxPoints: 1000, maxQueryNodes: 3, maxPageSize: 2 },
    }, {});
    ({ handler, close } = createCollectorHandler(config, store, { now: () => NOW, log: (_l, msg, fields) => void logs.push({ msg, fields }) }));
    for (const id of ["upf-a", "upf-b", "upf-c"]) {
      const records = [{ seq: 1, type: "probe", at: NOW - 60_000, probe: "n4", kind: "pfcp", ok: true, latencyUs: 900 }] as TelemetryRecord[];
      const res = await handler(new Request("http://c/api/v1/ingest", { method: "POST", body: encodeBatch({ agentId: id, bootId: "b1", records }), headers: { authorization: `Bearer ${AGENT}`, "content-type": "application/cbor" } }));
      assert.equal(res.status, 200);
    }
  });
  after(async () => {
    close();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("pages the fleet by node id", async () => {
    const p1 = await (await get("/api/v1/fleet")).json() as { nodes: { id: string }[]; next?: string };
    assert.deepEqual([p1.nodes.map((n) => n.id), p1.next], [["upf-a", "upf-b"], "upf-b"]);
    const p2 = await (await get(`/api/v1/fleet?after=${p1.next}`)).json() as { nodes: { id: string }[]; next?: string };
    assert.deepEqual([p2.nodes.map((n) => n.id), p2.next], [["upf-c"], undefined]);
    const big = await get("/api/v1/fleet?limit=3");
    assert.equal(big.status, 400);
    assert.match(await detail(big), /limits\.maxPageSize is 2/);
  });

  it("answers 400 naming the limit for a long window, too many rows, points or nodes", async () => {
    const long = await get(`/api/v1/nodes/upf-a/probes/n4/history?from=-72h&step=1h`);
    assert.equal(long.status, 400);
    assert.match(await detail(long), /limits\.maxQueryWindow is 48 h/);
    const rows = await get(`/api/v1/probes/n4/latency?from=-40h`);
    assert.match(await detail(rows), /3 node\(s\) × 2400 minutes = 7200 minute rows: limits\.maxQueryRows is 5000/);
    const points = await get(`/api/v1/nodes/upf-a/probes/n4/history?from=-24h&step=1m`);
    assert.match(await detail(points), /1440 points: limits\.maxPoints is 1000/);
    const nodes = await get(`/api/v1/probes/n4/latency?nodes=a,b,c,d`);
    assert.match(await detail(nodes), /4 nodes at once: limits\.maxQueryNodes is 3/);
    const ok = await get(`/api/v1/probes/n4/latency?from=-1h`);
    assert.equal((await ok.json() as { count: number }).count, 3);
  });

  it("a 5xx carries a generic detail and an id that the log line repeats", async () => {
    const broken: Store = { ...store, fleet: () => Promise.reject(new Error("SQLITE_CORRUPT: secret path /var/lib/x")) };
    const cfg = parseCollectorConfig({ auth: { sharedToken: AGENT, apiTokens: { noc: { token: VIEWER } } }, store: { path: join(dir, "c.db") } }, {});
    const h = createCollectorHandler(cfg, broken, { now: () => NOW, log: (_l, msg, fields) => void logs.push({ msg, fields }) });
    const res = await h.handler(new Request("http://c/api/v1/fleet", { headers: { authorization: `Bearer ${VIEWER}` } }));
    assert.equal(res.status, 500);
    const d = await detail(res);
    assert.doesNotMatch(d, /SQLITE|secret/);
    const id = /internal error ([0-9a-f-]{36})/.exec(d)?.[1];
    assert.ok(id, d);
    const line = logs.find((l) => l.fields?.errorId === id);
    assert.equal(line?.msg, "collector: request failed");
    assert.match(String(line?.fields?.error), /SQLITE_CORRUPT/);
    h.close();
  });
});

describe("createReadGate()", () => {
  it("runs maxHeavyReads at once, queues maxHeavyQueue more, refuses the rest with 429", async () => {
    const { createReadGate, READ_LIMIT_DEFAULTS } = await import("./read_limits.ts");
    const gate = createReadGate(() => ({ ...READ_LIMIT_DEFAULTS, maxHeavyReads: 2, maxHeavyQueue: 1, heavyReadsPerSecond: 100 }));
    const release: Array<() => void> = [];
    let ran = 0;
    const slow = () => new Promise<Response>((r) => {
      ran++;
      release.push(() => r(new Response("ok")));
    });
    const a = gate.run("token:x", slow);
    const b = gate.run("token:x", slow);
    const queued = gate.run("token:x", slow);
    const refused = await gate.run("token:x", slow);
    assert.equal(refused.status, 429);
    assert.match((await refused.json() as { detail: string }).detail, /limits\.maxHeavyQueue = 1 are waiting/);
    assert.equal(ran, 2);
    release[0]();
    await a;
    await new Promise((r) => setTimeout(r, 0));
    assert.equal(ran, 3, "the queued read runs when a slot frees");
    release[1]();
    release[2]();
    assert.deepEqual([(await b).status, (await queued).status], [200, 200]);
  });
  it("refuses a principal beyond heavyReadsPerSecond (bursts of twice that)", async () => {
    const { createReadGate, READ_LIMIT_DEFAULTS } = await import("./read_limits.ts");
    const gate = createReadGate(() => ({ ...READ_LIMIT_DEFAULTS, heavyReadsPerSecond: 2 }), () => 0);
    const ok = () => Promise.resolve(new Response("ok"));
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await gate.run("session:alice", ok)).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 429]);
    assert.equal((await gate.run("session:bob", ok)).status, 200);
  });
});
