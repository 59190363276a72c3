import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStore } from "./sqlite_store.ts";
import type { Batch, TelemetryRecord } from "../telemetry/record.ts";
import type { FleetChange } from "./store.ts";
import { openDatabase } from "../runtime/sqlite.ts";
import { decodeBatch } from "../telemetry/codec.ts";

const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);
const dbPath = () => join(fs.mkdtempSync(join(tmpdir(), "ep-store-")), "c.db");

function probes(first: number, n: number, opts: { probe?: string; lat?: (i: number) => number; at?: (i: number) => number } = {}): TelemetryRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    seq: first + i, type: "probe", at: opts.at ? opts.at(first + i) : T0 + (first + i) * 1000, probe: opts.probe ?? "n4", kind: "pfcp",
    ok: (first + i) % 10 !== 0, latencyUs: opts.lat ? opts.lat(first + i) : 1000 + (first + i),
    ...((first + i) % 10 === 0 ? { failure: { kind: "timeout" as const, message: "Cannot receive: no answer" } } : {}),
  }) as TelemetryRecord);
}
const batch = (records: TelemetryRecord[], agentId = "upf-1", bootId = "b1"): Batch => ({ agentId, bootId, records });

describe("openSqliteStore()", () => {
  it("is idempotent on (agentId, bootId, seq): replays and overlaps store nothing twice", async () => {
    const path = dbPath();
    const s = await openSqliteStore({ path });
    assert.deepEqual(await s.ingest(batch(probes(1, 100)), T0), { agentId: "upf-1", bootId: "b1", ack: 100, stored: 100, duplicates: 0, gap: 0 });
    assert.equal((await s.ingest(batch(probes(1, 100)), T0)).duplicates, 100);
    const o = await s.ingest(batch(probes(51, 100)), T0);
    assert.deepEqual([o.ack, o.stored, o.duplicates], [150, 50, 50]);
    // Another boot of the same agent is its own stream.
    assert.equal((await s.ingest(batch(probes(1, 10), "upf-1", "b2"), T0)).stored, 10);
    await s.close();
    const db = await openDatabase(path);
    const keys: string[] = [];
    for (const row of db.prepare("SELECT body FROM batches").all()) {
      const b = decodeBatch(row.body as Uint8Array);
      for (const r of b.records) keys.push(`${b.bootId}:${r.seq}`);
    }
    assert.equal(keys.length, 160);
    assert.equal(new Set(keys).size, 160);
    db.close();
  });

  it("commits concurrent batches as one group, each seeing the ones before it", async () => {
    const s = await openSqliteStore({ path: dbPath() });
    const [a, b, c, d] = await Promise.all([
      s.ingest(batch(probes(1, 100)), T0),
      s.ingest(batch(probes(51, 100)), T0),
      s.ingest(batch(probes(1, 10), "upf-2"), T0),
      s.ingest(batch(probes(1, 150)), T0),
    ]);
    assert.deepEqual([a.ack, a.stored, a.duplicates], [100, 100, 0]);
    assert.deepEqual([b.ack, b.stored, b.duplicates], [150, 50, 50]);
    assert.deepEqual([c.ack, c.stored], [10, 10]);
    assert.deepEqual([d.ack, d.stored, d.duplicates], [150, 0, 150]);
    const h = (await s.history("upf-1", "n4", { from: T0, to: T0 + 3_600_000 }, 3_600_000))!;
    assert.equal(h[0].count, 150, "each record counted once in the histograms");
    await s.close();
  });

  it("a batch that fails to store fails alone, in a group or by itself, and leaves no trace", async () => {
    const s = await openSqliteStore({ path: dbPath() });
    // at: NaN binds as NULL and breaks a NOT NULL column: a stand-in for any SQL failure.
    const bad = batch([{ seq: 1, type: "agent-stop", at: Number.NaN, reason: "x" } as TelemetryRecord], "upf-bad");
    const [g1, b1, g2] = await Promise.allSettled([s.ingest(batch(probes(1, 10)), T0), s.ingest(bad, T0), s.ingest(batch(probes(1, 5), "upf-2"), T0)]);
    assert.equal(g1.status, "fulfilled");
    assert.equal(g2.status, "fulfilled");
    assert.equal(b1.status, "rejected");
    assert.match(String((b1 as PromiseRejectedResult).reason), /^Error: Cannot store telemetry batch of upf-bad\/b1/);
    await assert.rejects(s.ingest(bad, T0), /Cannot store telemetry batch/);
    assert.equal(await s.node("upf-bad", T0), undefined, "nothing of the failed batches was kept");
    assert.equal((await s.ingest(batch(probes(1, 3), "upf-bad"), T0)).ack, 3, "its stream starts clean");
    assert.equal((await s.ingest(batch(probes(11, 2)), T0)).ack, 12);
    await s.close();
  });

  it("keeps the ack across a reopen and accepts a declared gap (records dropped by the agent's spool)", async () => {
    const path = dbPath();
    let s = await openSqliteStore({ path });
    await s.ingest(batch(probes(1, 10)), T0);
    await s.close();
    s = await openSqliteStore({ path });
    assert.equal((await s.ingest(batch(probes(5, 6)), T0)).duplicates, 6);
    // The jump is accepted as a gap as far as the agent's spool-drop report accounts for it (seq_admit.ts).
    const g = await s.ingest(batch([...probes(21, 4), { seq: 25, type: "spool-drop", at: T0, records: 10, bytes: 1000 }]), T0);
    assert.deepEqual([g.ack, g.gap, g.stored], [25, 10, 5]);
    assert.equal((await s.stats()).gapRecords, 10);
    await s.close();
  });

  it("answers the fleet, a node, probe history and cross-node latency", async () => {
    const s = await openSqliteStore({ path: dbPath() });
    const changes: FleetChange[] = [];
    s.subscribe((c) => void changes.push(c));
    await s.ingest(batch([
      { seq: 1, type: "agent-start", at: T0, version: "0.1.0", labels: { site: "mec-7" } },
      ...probes(2, 179),
      { seq: 181, type: "state", at: T0 + 181_000, probe: "n4", from: "unknown", to: "healthy" },
      { seq: 182, type: "peer-restart", at: T0 + 182_000, probe: "n4", detail: { recoveryTimeStamp: 7 } },
      { seq: 183, type: "verdict", at: T0 + 183_000, from: "DOWN", to: "UP", causes: [] },
    ]), T0 + 200_000);
    await s.ingest(batch(probes(1, 120, { lat: () => 5000 }), "upf-2"), T0 + 200_000);
    const fleet = await s.fleet(T0 + 200_000);
    assert.deepEqual(fleet.map((n) => n.id), ["upf-1", "upf-2"]);
    assert.equal(fleet[0].verdict, "UP");
    assert.equal(fleet[0].version, "0.1.0");
    assert.deepEqual(fleet[0].labels, { site: "mec-7" });
    assert.deepEqual(fleet[0].probes, { total: 1, healthy: 1, unhealthy: 0, unknown: 0 });
    assert.equal(fleet[0].peerRestarts, 1);
    const node = (await s.node("upf-1", T0))!;
    assert.equal(node.probeList[0].name, "n4");
    assert.equal(node.probeList[0].kind, "pfcp");
    assert.equal(node.probeList[0].state, "healthy");
    assert.equal(node.probeList[0].last?.latencyMs, 1.18);
    assert.equal(node.probeList[0].okTotal + node.probeList[0].failTotal, 179);
    assert.deepEqual(node.events.map((e) => e.type), ["verdict", "peer-restart", "state", "agent-start"]);
    const h = (await s.history("upf-1", "n4", { from: T0, to: T0 + 3600_000 }, 60_000))!;
    assert.deepEqual(h.map((p) => p.t), [T0, T0 + 60_000, T0 + 120_000, T0 + 180_000]);
    assert.equal(h.reduce((a, p) => a + p.count, 0), 179);
    assert.equal(h[0].failures.timeout, 5);
    assert.equal(await s.history("upf-1", "nope", { from: T0, to: T0 + 1 }, 60_000), undefined);
    const both = await s.latency("n4", { from: T0, to: T0 + 3600_000 });
    assert.equal(both.count, 299);
    assert.ok(Math.abs(both.p99! - 5) / 5 <= 0.01, `p99 ${both.p99}`);
    const one = await s.latency("n4", { from: T0, to: T0 + 3600_000 }, ["upf-2"]);
    assert.equal(one.count, 120);
    assert.ok(changes.some((c) => c.type === "node" && c.node.id === "upf-2"));
    assert.ok(changes.some((c) => c.type === "probe-state" && c.to === "healthy"));
    assert.ok(changes.some((c) => c.type === "event" && c.event.type === "peer-restart"));
    await s.close();
  });

  it("merges a minute's histogram across batches and prunes by retention", async () => {
    const s = await openSqliteStore({ path: dbPath() });
    // 60 records in the same minute, in two batches.
    await s.ingest(batch(probes(1, 30, { at: () => T0 + 1000, lat: (i) => i * 100 })), T0);
    await s.ingest(batch(probes(31, 30, { at: () => T0 + 2000, lat: (i) => i * 100 })), T0);
    const h = (await s.history("upf-1", "n4", { from: T0, to: T0 + 60_000 }, 60_000))!;
    assert.equal(h.length, 1);
    assert.equal(h[0].count, 60);
    const p = await s.prune(T0 + 10_000, T0 + 120_000);
    assert.equal(p.records, 2, "the two raw batch rows");
    assert.equal(p.minutes, 1);
    await s.close();
  });

  it("a kill between checkpoints loses nothing acknowledged: opening again replays the journal", async () => {
    const path = dbPath();
    const s1 = await openSqliteStore({ path, checkpointMs: 3_600_000 });
    await s1.ingest(batch([
      { seq: 1, type: "agent-start", at: T0, version: "0.1.0", labels: { site: "mec-7" } },
      ...probes(2, 90),
      { seq: 92, type: "state", at: T0 + 92_000, probe: "n4", from: "unknown", to: "healthy" },
      { seq: 93, type: "verdict", at: T0 + 93_000, from: "DOWN", to: "UP", causes: [] },
    ]), T0 + 100_000);
    await s1.ingest(batch(probes(1, 30, { probe: "n3" }), "upf-2"), T0 + 100_000);
    // s1 is never closed before s2 opens: its read model was never written (checkpoint in an hour).
    const s2 = await openSqliteStore({ path });
    try {
      assert.deepEqual(await s2.fleet(T0), await s1.fleet(T0));
      assert.deepEqual(await s2.node("upf-1", T0), await s1.node("upf-1", T0));
      const window = { from: T0, to: T0 + 3_600_000 };
      assert.deepEqual(await s2.history("upf-1", "n4", window, 60_000), await s1.history("upf-1", "n4", window, 60_000));
      assert.equal((await s2.latency("n3", window)).count, 30);
      assert.deepEqual(await s2.ingest(batch(probes(2, 91)), T0), { agentId: "upf-1", bootId: "b1", ack: 93, stored: 0, duplicates: 91, gap: 0 });
      assert.equal((await s2.ingest(batch(probes(94, 6)), T0)).ack, 99);
    } finally {
      await s2.close();
      await s1.close();
    }
  });

  it("writes the read model node by node as ingest goes, and moves the journal mark with it", async () => {
    const path = dbPath();
    const s = await openSqliteStore({ path, checkpointMs: 0 });
    await s.ingest(batch(probes(1, 10)), T0);
    await s.ingest(batch(probes(1, 10), "upf-2"), T0);
    await s.ingest(batch(probes(1, 10), "upf-3"), T0);
    const db = await openDatabase(path);
    try {
      const mark = Number(db.prepare("SELECT batch_rowid FROM checkpoint").get()!.batch_rowid);
      assert.ok(mark >= 2, `the first two nodes were written during later ingests (mark ${mark})`);
      const nodes = db.prepare("SELECT agent_id FROM nodes ORDER BY agent_id").all().map((r) => r.agent_id);
      assert.deepEqual(nodes.slice(0, 2), ["upf-1", "upf-2"]);
      const minutes = Number(db.prepare("SELECT sum(count) AS n FROM minutes WHERE agent_id = 'upf-1'").get()!.n);
      assert.equal(minutes, 10);
    } finally {
      db.close();
      await s.close();
    }
    const again = await openSqliteStore({ path });
    assert.deepEqual((await again.fleet(T0)).map((n) => [n.id, n.probes.total]), [["upf-1", 1], ["upf-2", 1], ["upf-3", 1]]);
    const h = (await again.history("upf-3", "n4", { from: T0, to: T0 + 3_600_000 }, 3_600_000))!;
    assert.equal(h[0].count, 10);
    await again.close();
  });

  it("with nodesPerGroup 0 ingest writes no node; the 1 s tick writes them, oldest first, up to nodesPerTick", async () => {
    const path = dbPath();
    const s = await openSqliteStore({ path, checkpointMs: 0, nodesPerGroup: 0, nodesPerTick: 2 });
    for (const id of ["upf-1", "upf-2", "upf-3"]) await s.ingest(batch(probes(1, 10), id), T0);
    const db = await openDatabase(path);
    const written = () => db.prepare("SELECT agent_id FROM nodes ORDER BY agent_id").all().map((r) => String(r.agent_id));
    const until = async (n: number) => {
      for (const end = Date.now() + 5000; written().length < n && Date.now() < end;) await new Promise((r) => setTimeout(r, 20));
      return written();
    };
    try {
      assert.deepEqual(written(), [], "three ingest transactions wrote no node");
      // Ticks are 1 s apart and this polls every 20 ms: the first tick's two nodes are seen alone.
      assert.deepEqual(await until(2), ["upf-1", "upf-2"]);
      assert.deepEqual(await until(3), ["upf-1", "upf-2", "upf-3"]);
      const minutes = Number(db.prepare("SELECT sum(count) AS n FROM minutes").get()!.n);
      assert.equal(minutes, 30);
    } finally {
      db.close();
      await s.close();
    }
  });

  it("without raw retention keeps the journal only until the read model is written", async () => {
    const path = dbPath();
    const s = await openSqliteStore({ path, raw: false });
    for (let i = 0; i < 5; i++) await s.ingest(batch(probes(1 + i * 10, 10)), T0);
    await s.close();
    const db = await openDatabase(path);
    try {
      assert.ok(Number(db.prepare("SELECT count(*) AS n FROM batches").get()!.n) <= 1, "the newest row stays so rowids keep growing");
    } finally {
      db.close();
    }
    const again = await openSqliteStore({ path, raw: false });
    assert.equal((await again.ingest(batch(probes(41, 20)), T0)).ack, 60);
    const h = (await again.history("upf-1", "n4", { from: T0, to: T0 + 3_600_000 }, 3_600_000))!;
    assert.equal(h[0].count, 60);
    await again.close();
  });

  it("rolls minutes up into hours and days, answers a long window from them, and keeps them past the minutes' retention", async () => {
    const path = dbPath();
    let s = await openSqliteStore({ path });
    // Three days of one probe, one result every 20 minutes: 216 records; every 10th fails.
    await s.ingest(batch(probes(1, 216, { at: (i) => T0 + (i - 1) * 20 * 60_000, lat: (i) => 1000 * (1 + (i % 5)) })), T0 + 3 * 86_400_000);
    const window = { from: T0, to: T0 + 3 * 86_400_000 };
    const minutes = (await s.history("upf-1", "n4", window, 60_000))!;
    const hours = (await s.history("upf-1", "n4", window, 3_600_000))!;
    const days = (await s.history("upf-1", "n4", window, 86_400_000))!;
    assert.equal(minutes.length, 216);
    assert.equal(hours.length, 72);
    // Days start at 00:00 UTC (T0 is 12:00): half a day, two whole days, half a day.
    const midnight = T0 - 12 * 3_600_000;
    assert.deepEqual(days.map((d) => [d.t, d.count]), [[midnight, 36], [midnight + 86_400_000, 72], [midnight + 2 * 86_400_000, 72], [midnight + 3 * 86_400_000, 36]]);
    assert.equal(days.reduce((a, d) => a + d.count, 0), 216);
    assert.equal(days.reduce((a, d) => a + d.ok, 0), minutes.reduce((a, d) => a + d.ok, 0));
    const byMinutes = await s.latency("n4", { from: T0, to: T0 + 86_400_000 });
    const byHours = await s.latency("n4", { from: T0, to: T0 + 3 * 86_400_000 });
    assert.equal(byMinutes.count, 72);
    assert.equal(byHours.count, 216);
    assert.equal(byHours.ok, minutes.reduce((a, d) => a + d.ok, 0));
    // Written and read back after a reopen; the minutes go with their retention, hours and days stay.
    await s.close();
    s = await openSqliteStore({ path });
    await s.prune(T0, T0 + 10 * 86_400_000);
    assert.equal((await s.history("upf-1", "n4", window, 60_000))!.length, 0, "minutes pruned");
    const after = (await s.history("upf-1", "n4", window, 86_400_000))!;
    assert.deepEqual(after.map((d) => [d.t, d.count, d.ok]), days.map((d) => [d.t, d.count, d.ok]));
    assert.equal(after[0].p99, days[0].p99);
    // More results in a day already written: merged with the stored row, not replacing it.
    await s.ingest(batch(probes(217, 1, { at: () => T0 + 3600_000 + 1, lat: () => 1000 })), T0 + 3 * 86_400_000);
    assert.equal((await s.history("upf-1", "n4", window, 86_400_000))![0].count, 37);
    await s.close();
  });
  it("an unaccounted sequence jump leaves a hole: the stream's later records are still stored once (ack poisoning)", async () => {
    const path = dbPath();
    const s = await openSqliteStore({ path, checkpointMs: 3_600_000 });
    await s.ingest(batch(probes(1, 10)), T0);
    // One batch far ahead under the victim's (agentId, bootId), no spool-drop report for it.
    const poison = await s.ingest(batch(probes(2 ** 40, 1)), T0);
    assert.deepEqual([poison.ack, poison.stored, poison.gap], [2 ** 40, 1, 0]);
    // The victim's next batches, in one group: each lands and is answered with its own last seq.
    const [a, b] = await Promise.all([s.ingest(batch(probes(11, 5)), T0), s.ingest(batch(probes(16, 5)), T0)]);
    assert.deepEqual([a.ack, a.stored, a.duplicates, b.ack, b.stored, b.duplicates], [15, 5, 0, 20, 5, 0]);
    // A replay of them (its answer lost) is duplicates, answered with the last seq the sender has.
    assert.deepEqual(await s.ingest(batch(probes(11, 10)), T0), { agentId: "upf-1", bootId: "b1", ack: 20, stored: 0, duplicates: 10, gap: 0 });
    const h = (await s.history("upf-1", "n4", { from: T0, to: T0 + 3_600_000 }, 3_600_000))!;
    assert.equal(h.reduce((n, p) => n + p.count, 0), 20, "every record of the victim's own seqs once (the far one is outside the window)");
    assert.equal((await s.stats()).gapRecords, 0, "nothing counted as dropped by the agent");
    // A spool-drop report later accounts for part of the hole: that much becomes a gap.
    const d = await s.ingest(batch([...probes(21, 2), { seq: 23, type: "spool-drop", at: T0, records: 100, bytes: 10_000 }]), T0);
    assert.deepEqual([d.ack, d.stored, d.gap], [23, 3, 100]);
    assert.equal((await s.stats()).gapRecords, 100);
    await s.close();
  });

  it("keeps a stream's sequence hole across a reopen, and opens a file written before the hole had columns", async () => {
    const path = dbPath();
    let s = await openSqliteStore({ path });
    await s.ingest(batch(probes(1, 10)), T0);
    await s.ingest(batch(probes(2 ** 40, 1)), T0);
    await s.close();
    s = await openSqliteStore({ path });
    const a = await s.ingest(batch(probes(11, 5)), T0);
    assert.deepEqual([a.ack, a.stored, a.duplicates], [15, 5, 0], "the victim's next records fill the hole after the restart");
    await s.close();
    // A file from before: the hole columns are added on open.
    const old = dbPath();
    const db = await openDatabase(old);
    db.exec(`CREATE TABLE streams (agent_id TEXT NOT NULL, boot_id TEXT NOT NULL, acked INTEGER NOT NULL, first_seen INTEGER NOT NULL,
      last_seen INTEGER NOT NULL, gap INTEGER NOT NULL DEFAULT 0, spool_drops INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (agent_id, boot_id)) WITHOUT ROWID;
      INSERT INTO streams VALUES ('upf-1', 'b1', 10, ${T0}, ${T0}, 0, 0);`);
    db.close();
    s = await openSqliteStore({ path: old });
    assert.deepEqual((await s.ingest(batch(probes(11, 2)), T0)).ack, 12);
    await s.close();
  });

  it("prunes raw batches by receive time, not by the agents' clocks", async () => {
    const s = await openSqliteStore({ path: dbPath() });
    // A box that booted in 1970 before NTP: its records are dated then, received now.
    await s.ingest(batch(probes(1, 5, { at: (i) => i * 1000 })), T0);
    assert.equal((await s.prune(T0 - 3_600_000, 0)).records, 0, "received an hour after the cut: kept");
    assert.equal((await s.prune(T0 + 1, 0)).records, 1, "received before the cut: pruned");
    await s.close();
  });

  it("retire() takes the nodes out of the tables too: a reopen does not bring them back", async () => {
    const path = dbPath();
    const s = await openSqliteStore({ path, checkpointMs: 3_600_000 });
    await s.ingest(batch(probes(1, 5), "old"), T0);
    await s.ingest(batch(probes(1, 5), "live"), T0 + 7_200_000);
    assert.deepEqual(await s.retire!(T0 + 3_600_000), ["old"]);
    assert.deepEqual(await s.retire!(T0 + 3_600_000), [], "retired once");
    await s.close();
    const again = await openSqliteStore({ path });
    assert.deepEqual((await again.fleet(T0)).map((n) => n.id), ["live"]);
    assert.equal((await again.ingest(batch(probes(1, 5), "old"), T0 + 7_200_000)).stored, 5, "its stream went with it");
    await again.close();
  });

  it("keeps fleet-wide rollups exact across a kill: a replay adds only what they were written before", async () => {
    const path = dbPath();
    const s1 = await openSqliteStore({ path, checkpointMs: 3_600_000 });
    await s1.ingest(batch(probes(1, 10)), T0);
    // The fleet rollups are written at most once a second, in the next ingest transaction.
    await new Promise((r) => setTimeout(r, 1100));
    await s1.ingest(batch(probes(1, 7), "upf-2"), T0);
    await new Promise((r) => setTimeout(r, 1100));
    await s1.ingest(batch(probes(1, 5), "upf-3"), T0);
    const window = { from: T0, to: T0 + 3_600_000 };
    const s2 = await openSqliteStore({ path });
    try {
      for (const w of [window, { from: T0, to: T0 + 30 * 86_400_000 }, { from: T0, to: T0 + 365 * 86_400_000 }]) {
        const all = await s2.latency("n4", w);
        assert.equal(all.count, 22, `window of ${(w.to - w.from) / 3_600_000} h`);
        assert.equal(all.ok, (await s1.latency("n4", w)).ok);
      }
    } finally {
      await s2.close();
      await s1.close();
    }
  });
  // Records an hour and a day ahead of the wall clock: their hour and day are open for the whole test.
  const FUT = Math.floor((Date.now() + 2 * 86_400_000) / 86_400_000) * 86_400_000 + 10 * 3_600_000;
  const rowsOf = async (path: string, table: "hours" | "days") => {
    const db = await openDatabase(path);
    try {
      return db.prepare(`SELECT count, through FROM ${table} WHERE agent_id = 'upf-1'`).all().map((r) => [Number(r.count), r.through === null ? null : Number(r.through)]);
    } finally {
      db.close();
    }
  };

  it("keeps open hours and days out of routine node writes; after a kill they read back whole from their minutes", async () => {
    const path = dbPath();
    const s1 = await openSqliteStore({ path, checkpointMs: 0 });
    let seq = 1;
    // Four minutes, three batches each; every ingest writes the nodes dirty before it (checkpointMs 0).
    for (let m = 0; m < 4; m++) {
      for (let b = 0; b < 3; b++) {
        await s1.ingest(batch(probes(seq, 5, { at: (i) => FUT + m * 60_000 + (i % 5) * 1000 })), FUT);
        seq += 5;
      }
      await s1.ingest(batch(probes(m + 1, 1), "upf-2"), FUT);
    }
    const minutesDb = await openDatabase(path);
    const minuteRows = Number(minutesDb.prepare("SELECT sum(count) AS n FROM minutes WHERE agent_id = 'upf-1'").get()!.n);
    minutesDb.close();
    // Minutes 0-2 closed (a later one began) and were written with the node; minute 3 is the
    // node's open minute: its rows wait until it closes, the journal holds it meanwhile.
    assert.equal(minuteRows, 45, "the closed minutes' rows are written with the node, the open one's are not");
    // Written once, at the node's first write after minute 0 closed: minute 0 (the minutes folded
    // into the hour and day, through the newest of them: read_model.ts foldMinutes); then never:
    // the minute rows hold the rest.
    assert.deepEqual(await rowsOf(path, "hours"), [[15, FUT]]);
    assert.deepEqual(await rowsOf(path, "days"), [[15, FUT]]);
    // s1 is never closed before s2 opens (a kill): the hour and day come from the minute rows.
    const s2 = await openSqliteStore({ path });
    try {
      const window = { from: FUT - 86_400_000, to: FUT + 2 * 86_400_000 };
      const before = (await s1.history("upf-1", "n4", window, 86_400_000))!;
      assert.deepEqual(before.map((d) => d.count), [60]);
      for (const step of [3_600_000, 86_400_000]) {
        const h = (await s2.history("upf-1", "n4", window, step))!;
        assert.deepEqual(h.map((d) => [d.count, d.ok, d.p50, d.p99]), before.map((d) => [d.count, d.ok, d.p50, d.p99]), `step ${step}`);
      }
      // More of the open hour after the reopen: added to what was read back, not in place of it.
      await s2.ingest(batch(probes(seq, 5, { at: (i) => FUT + 4 * 60_000 + (i % 5) * 1000 })), FUT);
      assert.deepEqual((await s2.history("upf-1", "n4", window, 3_600_000))!.map((d) => d.count), [65]);
      assert.deepEqual((await s2.latency("n4", window, ["upf-1"])).count, 65);
    } finally {
      // The "killed" s1 goes first: its close writes what it held (60), s2's what it holds.
      await s1.close();
      await s2.close();
    }
    assert.deepEqual(await rowsOf(path, "hours"), [[65, FUT + 4 * 60_000]], "close wrote the open hour as it stood, through its newest minute");
    const s3 = await openSqliteStore({ path });
    assert.deepEqual((await s3.history("upf-1", "n4", { from: FUT, to: FUT + 86_400_000 }, 86_400_000))!.map((d) => d.count), [65]);
    await s3.close();
  });

  it("leaves a node's open minute to the journal until it closes; a kill loses none of it and a reopen replays from that minute's first row", async () => {
    const path = dbPath();
    let now = FUT;
    const s1 = await openSqliteStore({ path, checkpointMs: 0, clock: () => now });
    const rowids: number[] = [];
    let seq = 1;
    // upf-1: minute 0 in three batches, then minute 1 in three; each upf-2 batch lets the writer
    // look at upf-1 (checkpointMs 0).
    for (let m = 0; m < 2; m++) {
      for (let b = 0; b < 3; b++) {
        await s1.ingest(batch(probes(seq, 4, { at: (i) => FUT + m * 60_000 + (i % 4) * 1000 + b * 10_000, lat: (i) => 1000 + i })), FUT);
        rowids.push(rowids.length * 2 + 1);
        seq += 4;
        await s1.ingest(batch(probes(m * 3 + b + 1, 1), "upf-2"), FUT);
      }
    }
    const read = async () => {
      const db = await openDatabase(path);
      try {
        return {
          mark: Number(db.prepare("SELECT batch_rowid FROM checkpoint").get()!.batch_rowid),
          minutes: db.prepare("SELECT minute, count FROM minutes WHERE agent_id = 'upf-1' ORDER BY minute").all().map((r) => [Number(r.minute) - FUT, Number(r.count)]),
          open: db.prepare("SELECT open_from, open_rowid FROM nodes WHERE agent_id = 'upf-1'").all().map((r) => [r.open_from === null ? null : Number(r.open_from) - FUT, r.open_rowid === null ? null : Number(r.open_rowid)]),
        };
      } finally {
        db.close();
      }
    };
    const t = await read();
    // Batch rows alternate upf-1 (odd rowids) and upf-2: minute 1 began with row 7.
    assert.deepEqual(t.minutes, [[0, 12]], "the closed minute is written, the open one is not");
    assert.deepEqual(t.open, [[60_000, 7]]);
    assert.equal(t.mark, 6, "the journal is kept from the open minute's first row: the replay bound");
    // Killed (s1 never closed): the reopen rebuilds minute 1 from rows 7 on, each record once.
    const window = { from: FUT - 86_400_000, to: FUT + 86_400_000 };
    const s2 = await openSqliteStore({ path, clock: () => now });
    try {
      for (const step of [60_000, 3_600_000, 86_400_000]) {
        const [a, b] = [(await s1.history("upf-1", "n4", window, step))!, (await s2.history("upf-1", "n4", window, step))!];
        assert.equal(b.reduce((n, d) => n + d.count, 0), 24, `step ${step}`);
        assert.deepEqual(b.map((d) => [d.t, d.count, d.ok, d.p50, d.p99]), a.map((d) => [d.t, d.count, d.ok, d.p50, d.p99]), `step ${step}`);
      }
      assert.equal((await s2.latency("n4", window, ["upf-1"])).count, 24);
      assert.deepEqual(await s2.node("upf-1", FUT), await s1.node("upf-1", FUT));
      assert.equal((await s2.ingest(batch(probes(1, 24, { at: () => FUT })), FUT)).duplicates, 24, "acks kept");
    } finally {
      await s2.close();
    }
    // The reopen wrote everything: nothing left to replay.
    const u = await read();
    assert.deepEqual(u.minutes, [[0, 12], [60_000, 12]]);
    assert.deepEqual(u.open, [[null, null]]);
    assert.equal(u.mark, 12);
    await s1.close();
  });

  it("writes the open minute of an agent gone silent once the store's clock says it is over, and moves the mark past it", async () => {
    const path = dbPath();
    let now = FUT;
    const s = await openSqliteStore({ path, checkpointMs: 0, clock: () => now });
    await s.ingest(batch(probes(1, 3, { at: (i) => FUT + i * 1000 })), FUT);
    await s.ingest(batch(probes(4, 3, { at: (i) => FUT + i * 1000 })), FUT);
    await s.ingest(batch(probes(1, 1), "upf-2"), FUT);
    const db = await openDatabase(path);
    const state = () => ({
      mark: Number(db.prepare("SELECT batch_rowid FROM checkpoint").get()!.batch_rowid),
      minutes: Number(db.prepare("SELECT count(*) AS n FROM minutes WHERE agent_id = 'upf-1'").get()!.n),
      open: db.prepare("SELECT open_from FROM nodes WHERE agent_id = 'upf-1'").all().map((r) => r.open_from === null ? null : Number(r.open_from) - FUT),
    });
    try {
      // Only its open minute so far: the node is not written at all, the journal holds it from row 1.
      assert.deepEqual(state(), { mark: 0, minutes: 0, open: [] });
      // upf-1 falls silent; 10 s past the end of its minute by the store's clock the minute is over.
      now = FUT + 60_000 + 9_999;
      await s.ingest(batch(probes(2, 1), "upf-2"), FUT);
      assert.deepEqual(state(), { mark: 0, minutes: 0, open: [] }, "not yet over");
      now = FUT + 70_000;
      await s.ingest(batch(probes(3, 1), "upf-2"), FUT);
      const after = state();
      assert.deepEqual([after.minutes, after.open], [1, [null]]);
      assert.ok(after.mark >= 3, `the mark moved past upf-1's rows (${after.mark})`);
    } finally {
      db.close();
      await s.close();
    }
  });

  it("holds the journal for an agent whose clock runs a day ahead no longer than a minute and the grace", async () => {
    const path = dbPath();
    let now = FUT;
    const s = await openSqliteStore({ path, checkpointMs: 0, clock: () => now });
    // Within limits.recordTimeWindow (24 h), so stored as it is: its minute is the node's newest.
    await s.ingest(batch(probes(1, 1, { at: () => FUT + 23 * 3_600_000 })), FUT);
    await s.ingest(batch(probes(2, 2, { at: (i) => FUT + i * 1000 })), FUT);
    await s.ingest(batch(probes(1, 1), "upf-2"), FUT);
    const db = await openDatabase(path);
    const state = () => ({
      mark: Number(db.prepare("SELECT batch_rowid FROM checkpoint").get()!.batch_rowid),
      minutes: Number(db.prepare("SELECT count(*) AS n FROM minutes WHERE agent_id = 'upf-1'").get()!.n),
    });
    try {
      assert.deepEqual(state(), { mark: 0, minutes: 0 });
      now = FUT + 69_000;
      await s.ingest(batch(probes(4, 1, { at: () => FUT + 65_000 })), FUT);
      await s.ingest(batch(probes(2, 1), "upf-2"), FUT);
      assert.deepEqual(state(), { mark: 0, minutes: 0 }, "its newest minute began 69 s ago by the store's clock");
      now = FUT + 70_000;
      await s.ingest(batch(probes(3, 1), "upf-2"), FUT);
      const after = state();
      assert.equal(after.minutes, 3, "every minute written, the one a day ahead too");
      assert.ok(after.mark >= 5, `the mark moved past upf-1's rows (${after.mark})`);
    } finally {
      db.close();
      await s.close();
    }
    const again = await openSqliteStore({ path });
    const h = (await again.history("upf-1", "n4", { from: FUT - 3_600_000, to: FUT + 86_400_000 }, 60_000))!;
    assert.deepEqual(h.map((p) => [p.t - FUT, p.count]), [[0, 2], [60_000, 1], [23 * 3_600_000, 1]]);
    await again.close();
  });

  it("a full checkpoint writes open hours and days as they stand; a late record rewrites them without the open minute", async () => {
    const path = dbPath();
    const s1 = await openSqliteStore({ path, checkpointMs: 0 });
    await s1.ingest(batch(probes(1, 10, { at: (i) => FUT + (i <= 6 ? 0 : 60_000) + i })), FUT);
    // prune runs a full checkpoint first (and here deletes nothing).
    await s1.prune(0, 0);
    assert.deepEqual(await rowsOf(path, "hours"), [[10, FUT + 60_000]]);
    assert.deepEqual(await rowsOf(path, "days"), [[10, FUT + 60_000]]);
    // A late record for minute 0, which the rows hold, then more of the open minute 1.
    await s1.ingest(batch(probes(11, 1, { at: () => FUT + 30_000 })), FUT);
    await s1.ingest(batch(probes(12, 2, { at: (i) => FUT + 60_000 + i })), FUT);
    await s1.ingest(batch(probes(1, 1), "upf-2"), FUT);
    // Rewritten with minute 0's 7 records, without minute 1 (6 records, still open).
    assert.deepEqual(await rowsOf(path, "hours"), [[7, FUT + 60_000 - 1]]);
    assert.deepEqual(await rowsOf(path, "days"), [[7, FUT + 60_000 - 1]]);
    const s2 = await openSqliteStore({ path });
    try {
      const window = { from: FUT, to: FUT + 86_400_000 };
      for (const step of [60_000, 3_600_000, 86_400_000]) {
        const [a, b] = [(await s1.history("upf-1", "n4", window, step))!, (await s2.history("upf-1", "n4", window, step))!];
        assert.equal(b.reduce((n, d) => n + d.count, 0), 13, `step ${step}`);
        assert.deepEqual(b.map((d) => [d.count, d.ok, d.p99]), a.map((d) => [d.count, d.ok, d.p99]), `step ${step}`);
      }
    } finally {
      await s2.close();
      await s1.close();
    }
  });
  it("completes an open hour and day a kill left behind once they are over, before their minutes can be pruned", async () => {
    const path = dbPath();
    const s1 = await openSqliteStore({ path, checkpointMs: 0, clock: () => FUT });
    for (let m = 0; m < 3; m++) {
      await s1.ingest(batch(probes(1 + m * 4, 4, { at: (i) => FUT + m * 60_000 + i })), FUT);
      await s1.ingest(batch(probes(m + 1, 1), "upf-2"), FUT);
    }
    const open = await rowsOf(path, "hours");
    assert.equal(open.length, 1);
    assert.notEqual(open[0][1], null, "the hour's row holds part of it");
    // Killed; opened again two days on, and upf-1 never reports again.
    const s2 = await openSqliteStore({ path, clock: () => FUT + 2 * 86_400_000 });
    try {
      await s2.prune(0, 0);
      assert.deepEqual(await rowsOf(path, "hours"), [[12, null]], "completed from its minute rows");
      assert.deepEqual(await rowsOf(path, "days"), [[12, null]]);
      // Every minute gone: the hour and the day still answer.
      await s2.prune(0, FUT + 86_400_000);
      const window = { from: FUT - 86_400_000, to: FUT + 86_400_000 };
      assert.equal((await s2.history("upf-1", "n4", window, 60_000))!.length, 0, "minutes pruned");
      assert.deepEqual((await s2.history("upf-1", "n4", window, 3_600_000))!.map((d) => d.count), [12]);
      assert.deepEqual((await s2.history("upf-1", "n4", window, 86_400_000))!.map((d) => d.count), [12]);
    } finally {
      await s1.close();
      await s2.close();
    }
  });
});
