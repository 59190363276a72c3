import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { openSqliteStore } from "./sqlite_store.ts";
import { createFleetGrid } from "./fleet_grid.ts";
import { applyDelta, decodeCell, FLAG_ONLINE, FLAG_RUNNING, type GridDelta, type GridSnapshot, modelFromSnapshot } from "./fleet_grid_format.ts";
import type { TelemetryRecord } from "../telemetry/record.ts";

const T0 = Date.UTC(2026, 10, 30, 7, 0, 0);
const dbPath = () => join(fs.mkdtempSync(join(tmpdir(), "ep-grid-")), "c.db");
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function start(seq: number, labels: Record<string, string>): TelemetryRecord {
  return { seq, type: "agent-start", at: T0, version: "0.1.0", labels } as unknown as TelemetryRecord;
}
function result(seq: number, probe: string, ok: boolean): TelemetryRecord {
  return {
    seq, type: "probe", at: T0 + seq, probe, kind: "tcp", ok, latencyUs: 900,
    ...(ok ? {} : { failure: { kind: "refused", message: "Cannot connect: ECONNREFUSED" } }),
  } as TelemetryRecord;
}
function state(seq: number, probe: string, from: string, to: string): TelemetryRecord {
  return { seq, type: "state", at: T0 + seq, probe, from, to } as TelemetryRecord;
}

async function fleetOf(n: number) {
  const store = await openSqliteStore({ path: dbPath() });
  for (let i = 0; i < n; i++) {
    await store.ingest({
      agentId: `upf-${i}`, bootId: "b1",
      records: [start(1, { region: i % 2 ? "north" : "south", site: `mec-${i % 3}` }), result(2, "n4", true), state(3, "n4", "unknown", "healthy"), result(4, "app", true), state(5, "app", "unknown", "healthy")],
    }, T0);
  }
  return store;
}

describe("createFleetGrid()", () => {
  it("answers every node's verdict and probe states in one dictionary-coded document", async () => {
    const store = await fleetOf(4);
    const events: [string, string][] = [];
    const grid = createFleetGrid({ store, now: () => T0 + 1000, staleAfterMs: 120_000, publish: (e, d) => events.push([e, d]) });
    const res = await grid.handle(new Request("http://c/api/v1/fleet/grid"));
    assert.equal(res.status, 200);
    assert.match(res.headers.get("etag")!, /^"grid-[0-9a-f]{8}-1"$/);
    const s = await res.json() as GridSnapshot;
    assert.equal(s.format, "edgeprobe.fleet-grid/1");
    assert.deepEqual([...s.probes].sort(), ["app", "n4"]);
    assert.equal(s.profiles.length, 2, "the empty profile and [app, n4], shared by every node");
    assert.equal(s.nodes.length, 4);
    const m = modelFromSnapshot(s);
    const r = m.nodes.get("upf-1")!;
    assert.deepEqual(m.labelSets[r[3]], { region: "north", site: "mec-1" });
    assert.deepEqual(m.profiles[r[4]].map((i) => m.probes[i]), ["app", "n4"]);
    assert.equal(r[5], "11", "both healthy");
    assert.equal(r[2], FLAG_RUNNING | FLAG_ONLINE);
    assert.equal(r[1], 0, "no verdict record yet");
    assert.deepEqual(events, [], "nothing changed since the snapshot");
    grid.close();
    await store.close();
  });

  it("answers 304 to its own ETag, and gzip when asked", async () => {
    const store = await fleetOf(50);
    const grid = createFleetGrid({ store, now: () => T0, staleAfterMs: 120_000, publish: () => {} });
    const a = await grid.handle(new Request("http://c/"));
    const etag = a.headers.get("etag")!;
    const plain = new Uint8Array(await a.arrayBuffer());
    const b = await grid.handle(new Request("http://c/", { headers: { "if-none-match": `W/${etag}, "other"` } }));
    assert.equal(b.status, 304);
    assert.equal(b.headers.get("etag"), etag);
    assert.equal((await b.arrayBuffer()).byteLength, 0);
    const z = await grid.handle(new Request("http://c/", { headers: { "accept-encoding": "gzip, deflate" } }));
    assert.equal(z.headers.get("content-encoding"), "gzip");
    const zipped = new Uint8Array(await z.arrayBuffer());
    assert.deepEqual(new Uint8Array(gunzipSync(zipped)), plain);
    assert.ok(zipped.length < plain.length / 2, `gzip ${zipped.length} B of ${plain.length} B`);
    grid.close();
    await store.close();
  });

  it("publishes a probe turning red as a delta naming its failure, and a new ETag", async () => {
    const store = await fleetOf(3);
    const deltas: GridDelta[] = [];
    let now = T0 + 2000;
    const grid = createFleetGrid({ store, now: () => now, staleAfterMs: 120_000, publish: (e, d) => e === "grid" && deltas.push(JSON.parse(d)), flushMs: 10 });
    const first = await grid.handle(new Request("http://c/"));
    const m = modelFromSnapshot(await first.json() as GridSnapshot);
    await store.ingest({ agentId: "upf-2", bootId: "b1", records: [result(6, "app", false), state(7, "app", "healthy", "unhealthy"), { seq: 8, type: "verdict", at: T0 + 8, from: "UP", to: "DOWN", causes: ["app"] } as TelemetryRecord] }, T0 + 2000);
    for (let i = 0; i < 50 && deltas.length < 2; i++) await pause(10);
    assert.ok(deltas.length >= 2, `deltas: ${JSON.stringify(deltas)}`);
    for (const d of deltas) assert.equal(applyDelta(m, d), "applied");
    const row = m.nodes.get("upf-2")!;
    assert.equal(m.profiles[row[4]].map((i) => m.probes[i]).join(), "app,n4");
    assert.deepEqual(decodeCell(row[5][0]), { state: "unhealthy", kind: "refused" }, "the failure kind read back from the store");
    assert.equal(row[1], 3, "DOWN");
    assert.equal(m.nodes.get("upf-1")![5], "11", "other nodes unchanged");
    // Within minRebuildMs the last body is served (a consistent, older version) ...
    const cached = await grid.handle(new Request("http://c/", { headers: { "if-none-match": first.headers.get("etag")! } }));
    assert.equal(cached.status, 304);
    // ... after it, the document is what the deltas built.
    now += 500;
    const again = await grid.handle(new Request("http://c/", { headers: { "if-none-match": first.headers.get("etag")! } }));
    assert.equal(again.status, 200);
    const s = await again.json() as GridSnapshot;
    assert.equal(s.version, m.version);
    assert.deepEqual(modelFromSnapshot(s).nodes, m.nodes);
    assert.equal(applyDelta(m, deltas[0]), "old", "a delta already applied is ignored");
    grid.close();
    await store.close();
  });

  it("adds a node first seen after the snapshot, with its new label set and probe list", async () => {
    const store = await fleetOf(1);
    const deltas: GridDelta[] = [];
    const grid = createFleetGrid({ store, now: () => T0, staleAfterMs: 120_000, publish: (_e, d) => deltas.push(JSON.parse(d)), flushMs: 5 });
    const m = modelFromSnapshot(await grid.snapshot());
    await store.ingest({ agentId: "smf-9", bootId: "b1", records: [start(1, { region: "east" }), result(2, "n11", true), state(3, "n11", "unknown", "healthy")] }, T0);
    for (let i = 0; i < 50 && deltas.length < 1; i++) await pause(10);
    assert.equal(applyDelta(m, deltas[0]), "applied");
    const row = m.nodes.get("smf-9")!;
    assert.deepEqual(m.labelSets[row[3]], { region: "east" });
    assert.deepEqual(m.profiles[row[4]].map((i) => m.probes[i]), ["n11"]);
    assert.equal(row[5], "1");
    // A receiver that missed this delta sees the gap instead of a wrong grid.
    const late = modelFromSnapshot(await grid.snapshot());
    late.version = 0;
    assert.equal(applyDelta(late, { ...deltas[0], from: 5, to: 6 }), "gap");
    grid.close();
    await store.close();
  });

  it("marks a node offline once it is silent for staleAfter, on its periodic re-read", async () => {
    const store = await fleetOf(2);
    let now = T0;
    const deltas: GridDelta[] = [];
    const grid = createFleetGrid({ store, now: () => now, staleAfterMs: 60_000, publish: (_e, d) => deltas.push(JSON.parse(d)), flushMs: 5, refreshMs: 20 });
    const m = modelFromSnapshot(await grid.snapshot());
    assert.ok([...m.nodes.values()].every((r) => r[2] & FLAG_ONLINE));
    now = T0 + 61_000;
    for (let i = 0; i < 100 && deltas.length < 1; i++) await pause(10);
    for (const d of deltas) applyDelta(m, d);
    assert.ok([...m.nodes.values()].every((r) => (r[2] & FLAG_ONLINE) === 0), JSON.stringify([...m.nodes.values()]));
    grid.close();
    await store.close();
  });

  it("builds at most one body per minRebuildMs for a client that polls while the fleet changes", async () => {
    const store = await fleetOf(20);
    let now = T0;
    const grid = createFleetGrid({ store, now: () => now, staleAfterMs: 120_000, publish: () => {}, flushMs: 1, minRebuildMs: 500 });
    await grid.snapshot();
    const etags = new Set<string>();
    // 300 polls over 3 s of fleet time, each after a probe changed state.
    for (let i = 0; i < 300; i++) {
      await store.ingest({ agentId: `upf-${i % 20}`, bootId: "b1", records: [state(10 + Math.floor(i / 20) * 2, "n4", i % 40 < 20 ? "healthy" : "unhealthy", i % 40 < 20 ? "unhealthy" : "healthy")] }, now);
      await pause(2);
      etags.add((await grid.handle(new Request("http://c/"))).headers.get("etag")!);
      now += 10;
    }
    assert.ok(etags.size <= 7, `${etags.size} bodies built for 300 polls over 3 s`);
    assert.ok(etags.size >= 5, "and the answer does move on");
    grid.close();
    await store.close();
  });

  it("answers a failed first read with an error and retries it on the next request", async () => {
    let fail = true;
    let subscribed = 0;
    const fake = {
      fleet: () => (fail ? Promise.reject(new Error("database is locked")) : Promise.resolve([])),
      probes: () => Promise.resolve([]),
      subscribe: () => (subscribed++, () => subscribed--),
    };
    const grid = createFleetGrid({ store: fake as never, now: () => T0, staleAfterMs: 120_000, publish: () => {} });
    await assert.rejects(grid.handle(new Request("http://c/")), /^Error: Cannot build the fleet grid: database is locked$/);
    assert.equal(subscribed, 0, "the change feed is left again");
    fail = false;
    const res = await grid.handle(new Request("http://c/"));
    assert.equal(res.status, 200);
    assert.deepEqual((await res.json() as GridSnapshot).nodes, []);
    assert.equal(subscribed, 1);
    grid.close();
  });

  it("keeps a 10,000-node grid of 10 probes each compact", async () => {
    // Built straight from the store's change feed, without SQLite: the size is the format's.
    const listeners: ((c: never) => void)[] = [];
    const names = Array.from({ length: 10 }, (_, i) => `probe-${i}`);
    const fake = {
      fleet: () => Promise.resolve(Array.from({ length: 10_000 }, (_, i) => ({ id: `upf-${String(i).padStart(5, "0")}`, labels: { region: `r${i % 50}`, site: `site-${i % 2000}`, role: "upf" }, bootId: "b", firstSeen: T0, lastSeen: T0, running: true, verdict: "UP", probes: { total: 10, healthy: 10, unhealthy: 0, unknown: 0 }, peerRestarts: 0, spoolDrops: 0 }))),
      probes: () => Promise.resolve(Array.from({ length: 100_000 }, (_, i) => ({ node: `upf-${String(Math.floor(i / 10)).padStart(5, "0")}`, probe: { name: names[i % 10], kind: "tcp", state: "healthy", peerRestarts: 0, okTotal: 1, failTotal: 0 } }))),
      subscribe: (l: (c: never) => void) => (listeners.push(l), () => {}),
    };
    const grid = createFleetGrid({ store: fake as never, now: () => T0, staleAfterMs: 120_000, publish: () => {} });
    await grid.snapshot();
    const t = performance.now();
    const res = await grid.handle(new Request("http://c/", { headers: { "accept-encoding": "gzip" } }));
    const ms = performance.now() - t;
    const body = new Uint8Array(await res.arrayBuffer());
    const zipped = body.length;
    const plain = gunzipSync(body).length;
    // /api/v1/fleet alone is 1.75 MB at 10,000 nodes, without any probe state (docs/dashboard.md).
    assert.ok(plain < 600_000, `plain ${plain} B`);
    assert.ok(zipped < 120_000, `gzip ${zipped} B`);
    console.log(`fleet grid, 10,000 nodes × 10 probes: ${plain} B, ${zipped} B gzip, built and compressed in ${ms.toFixed(1)} ms`);
    grid.close();
  });
});
