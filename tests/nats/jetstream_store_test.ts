/**
 * The JetStream store against one real nats-server (-js) on a free loopback port: two stores (two
 * collectors) share acks and the fleet view, and split the partitions between them.
 * Run: bash scripts/test.sh integration nats
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, headers } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { ackKey, eventsKey, type JetstreamStore, nodeKey, openJetstreamStore, RECEIVED_AT_HEADER } from "../../collector/jetstream_store.ts";
import { batchSubject } from "../../collector/jetstream_keys.ts";
import { encodeBatch } from "../../telemetry/codec.ts";
import type { Batch, TelemetryRecord } from "../../telemetry/record.ts";
import { storedRecords } from "../telemetry/_procs.ts";
import { freePorts, type NatsNode, startNats } from "./_nats.ts";

let PORT = 0;
const PARTITIONS = 8;
/** store.routineEvery here (15 s by default): a node with only new results is written at most this often. */
const ROUTINE_EVERY = 2000;
const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);

function records(from: number, to: number, start = false): TelemetryRecord[] {
  const out: TelemetryRecord[] = [];
  for (let seq = from; seq <= to; seq++) {
    if (seq === 1 && start) out.push({ type: "agent-start", seq, at: T0, version: "0.1.0", labels: { region: "north", site: "mec 7" } });
    else out.push({ type: "probe", seq, at: T0 + seq * 1000, probe: `p${seq % 3}`, kind: "tcp", ok: seq % 10 !== 0, latencyUs: 1000 + seq, ...(seq % 10 === 0 ? { failure: { kind: "timeout" as const } } : {}), facts: { i: seq } });
  }
  return out;
}
const batch = (agentId: string, bootId: string, from: number, to: number): Batch => ({ agentId, bootId, records: records(from, to, true) });
const ingest = (s: JetstreamStore, b: Batch) => s.ingest(b, T0 + 999_000, encodeBatch(b));

async function until(cond: () => boolean | Promise<boolean>, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("Cannot finish test: condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("JetStream store on one nats-server", () => {
  let dir: string;
  let nats: NatsNode;
  let a: JetstreamStore;
  let b: JetstreamStore;
  const opts = (name: string) => ({
    servers: [`127.0.0.1:${PORT}`], stream: "EP_TEST", subjectPrefix: "edgeprobe.telemetry", bucket: "ep_test", replicas: 1,
    regionLabel: "region", readModel: join(dir, `${name}.db`), raw: true, timeout: 5000, maxAge: 3_600_000,
    stateEvery: 50, routineEvery: ROUTINE_EVERY, partitions: PARTITIONS, leaseTtl: 2000, collectorId: name, readModelCheckpointMs: 200,
  });
  /** Both collectors' views agree and hold every record applied by the owners. */
  const settled = async (records: number) => {
    await until(async () => (await a.stats()).records === records && (await b.stats()).records === records);
  };

  before(async () => {
    dir = fs.mkdtempSync(join(tmpdir(), "ep-nats1-"));
    [PORT] = await freePorts(1);
    nats = await startNats(dir, PORT);
    a = await openJetstreamStore(opts("a"), { log: () => {} });
    b = await openJetstreamStore(opts("b"), { log: () => {} });
    // Steady state before any batch: a hands half of its partitions to b (no replay needed later).
    await until(() => a.partitions().length === PARTITIONS / 2 && b.partitions().length === PARTITIONS / 2);
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await nats?.stop("SIGTERM");
  });

  it("shares the ack: a replay or an overlapping batch through the other collector stores only new records", async () => {
    const r1 = await ingest(a, batch("n1", "boot1", 1, 50));
    assert.deepEqual(r1, { agentId: "n1", bootId: "boot1", ack: 50, stored: 50, duplicates: 0, gap: 0 });
    const r2 = await ingest(b, batch("n1", "boot1", 1, 50));
    assert.deepEqual(r2, { agentId: "n1", bootId: "boot1", ack: 50, stored: 0, duplicates: 50, gap: 0 });
    const r3 = await ingest(b, batch("n1", "boot1", 1, 80));
    assert.deepEqual(r3, { agentId: "n1", bootId: "boot1", ack: 80, stored: 30, duplicates: 50, gap: 0 });
    // A's cached revision is stale now: its compare-and-set must fail and read B's ack.
    const r4 = await ingest(a, batch("n1", "boot1", 51, 90));
    assert.deepEqual(r4, { agentId: "n1", bootId: "boot1", ack: 90, stored: 10, duplicates: 30, gap: 0 });
  });

  it("the same batch sent to both collectors at once is stored once and both answer the same ack", async () => {
    const [x, y] = await Promise.all([ingest(a, batch("n1", "boot1", 91, 140)), ingest(b, batch("n1", "boot1", 91, 140))]);
    assert.equal(x.ack, 140);
    assert.equal(y.ack, 140);
    assert.equal(x.stored + y.stored, 50, `stored ${x.stored} + ${y.stored}`);
  });

  it("a gap (records dropped from a full spool) is reported once", async () => {
    // A jump is a gap only as far as the agent's spool-drop reports account for it
    // (collector/seq_admit.ts): until the report arrives, 141-150 stay an open hole.
    const r = await ingest(b, batch("n1", "boot1", 151, 160));
    assert.equal(r.gap, 0);
    assert.equal(r.ack, 160);
    const drop: TelemetryRecord = { type: "spool-drop", seq: 161, at: T0 + 161_000, records: 10, bytes: 1000 };
    const d = await ingest(b, { agentId: "n1", bootId: "boot1", records: [drop] });
    assert.equal(d.ack, 161);
    assert.equal(d.gap, 10, "the report accounts for the jump: counted once, as a gap");
    assert.equal((await ingest(a, { agentId: "n1", bootId: "boot1", records: [drop] })).gap, 0, "a replay through the other collector is no second gap");
  });


  it("splits the partitions between the two collectors, each held by one", async () => {
    await until(() => a.partitions().length + b.partitions().length === PARTITIONS && a.partitions().length === PARTITIONS / 2);
    const pa = a.partitions().map((p) => p.partition), pb = b.partitions().map((p) => p.partition);
    assert.deepEqual([...pa, ...pb].sort((x, y) => x - y), Array.from({ length: PARTITIONS }, (_, k) => k));
  });

  it("both collectors serve the same fleet, node and stats; every seq is held once", async () => {
    for (let i = 0; i < 10; i++) await ingest(i % 2 ? a : b, batch("n2", "bootX", i * 20 + 1, i * 20 + 20));
    await settled(151 + 200); // n1: 1-140, 151-160 and its spool-drop report; n2: 1-200
    const fa = await a.fleet(T0), fb = await b.fleet(T0);
    assert.deepEqual(fa, fb);
    assert.deepEqual(fa.map((n) => n.id), ["n1", "n2"]);
    assert.equal(fa[0].labels.region, "north");
    assert.deepEqual(await a.node("n1", T0), await b.node("n1", T0));
    const sa = await a.stats(), sb = await b.stats();
    assert.deepEqual(sa, sb);
    assert.equal(sa.gapRecords, 10);
    const n1 = (await a.node("n1", T0))!;
    assert.equal(n1.probeList.reduce((x, p) => x + p.okTotal + p.failTotal, 0), 149, "149 probe results of n1 (seq 1 is agent-start), each once");
    // Each record was applied by one collector only: the owner of its agent's partition.
    const held = [...await storedRecords(join(dir, "a.db")), ...await storedRecords(join(dir, "b.db"))];
    assert.deepEqual(held.filter((r) => r.agentId === "n1").map((r) => r.seq).sort((x, y) => x - y), [...Array.from({ length: 140 }, (_, k) => k + 1), ...Array.from({ length: 11 }, (_, k) => k + 151)], "n1 seqs once each (161: the spool-drop report)");
    assert.deepEqual(held.filter((r) => r.agentId === "n2").map((r) => r.seq).sort((x, y) => x - y), Array.from({ length: 200 }, (_, k) => k + 1));
  });

  it("history and latency answer on both collectors, from the owner's minute aggregates", async () => {
    const w = { from: T0 - 60_000, to: T0 + 3_600_000 };
    const ha = await a.history("n2", "p1", w, 60_000), hb = await b.history("n2", "p1", w, 60_000);
    assert.deepEqual(ha, hb);
    const p1 = (seqs: number[]) => seqs.filter((q) => q > 1 && q % 3 === 1).length;
    const range = (x: number, y: number) => Array.from({ length: y - x + 1 }, (_, k) => x + k);
    assert.equal(ha!.reduce((x, p) => x + p.count, 0), p1(range(1, 200)), "n2's p1 results");
    assert.deepEqual(await a.latency("p1", w, ["n2"]), await b.latency("p1", w, ["n2"]), "one node: its owner answers");
    assert.equal((await a.latency("p1", w, ["n2"])).count, p1(range(1, 200)));
    // Several partitions merge minute rows as of each owner's checkpoint (200 ms here, plus the
    // read model's idle timer).
    const total = p1(range(1, 200)) + p1([...range(1, 140), ...range(151, 160)]);
    await until(async () => (await a.latency("p1", w)).count === total, 5000);
    const la = await a.latency("p1", w), lb = await b.latency("p1", w);
    assert.deepEqual(la, lb);
    assert.equal(la.count, p1(range(1, 200)) + p1([...range(1, 140), ...range(151, 160)]), "n2's and n1's p1 results merged across partitions");
    assert.ok(la.p50! > 1 && la.p99! < 2);
    assert.equal(await a.history("n2", "nope", w, 60_000), undefined);
  });

  it("a range published twice to the stream (a retry after the duplicate window) is counted once", async () => {
    const nc = await connect({ servers: [`127.0.0.1:${PORT}`] });
    try {
      const h = headers();
      h.set(RECEIVED_AT_HEADER, String(T0));
      const again = encodeBatch(batch("n2", "bootX", 181, 200));
      await jetstream(nc).publish(batchSubject("edgeprobe.telemetry", PARTITIONS, "north", "n2"), again, { msgID: "manual-replay", headers: h });
      await until(async () => (await a.stats()).duplicates >= 20 && (await b.stats()).duplicates >= 20);
      assert.equal((await a.stats()).records, 351);
      assert.equal((await b.stats()).records, 351);
    } finally {
      await nc.close();
    }
  });

  it("keeps the ack and each node's view in the key-value bucket", async () => {
    const nc = await connect({ servers: [`127.0.0.1:${PORT}`] });
    try {
      const kv = await new Kvm(nc).open("ep_test");
      const ack = await kv.get(ackKey("n1", "boot1"));
      assert.deepEqual(JSON.parse(ack!.string()), { acked: 161, region: "north", drops: 10, gaps: 10 });
      const entry = JSON.parse((await kv.get(nodeKey("n1")))!.string());
      assert.equal(entry.v, 2);
      const events = JSON.parse((await kv.get(eventsKey("n1")))!.string());
      assert.deepEqual({ ...entry.node, events: events.events }, await b.node("n1", T0), "the view is the node entry and its events entry");
      assert.ok(events.events.length > 0);
      const p1 = entry.node.probeList.find((p: { name: string }) => p.name === "p1");
      // seq 160 is p1 (160 % 3 = 1) and a timeout (160 % 10 = 0).
      assert.equal(p1.last.ok, false);
      assert.equal(p1.last.failure.kind, "timeout");
      assert.equal(p1.facts.i, 160);
      assert.equal(ackKey("agent.with space", "b*>"), "ack.agent=2Ewith=20space.b=2A=3E");
      const st = await kv.status();
      assert.equal(st.ttl, 30 * 86_400_000, "ack.* and node.* expire when not rewritten for keyTtl");
    } finally {
      await nc.close();
    }
  });

  it("a collector that stops hands its partitions over; one restarted on its read model file resumes without counting twice", async () => {
    await a.close();
    await until(() => b.partitions().length === PARTITIONS, 10_000);
    await ingest(b, batch("n3", "b3", 1, 30));
    await until(async () => (await b.stats()).records === 381);
    a = await openJetstreamStore(opts("a"), { log: () => {} });
    await until(() => a.partitions().length === PARTITIONS / 2 && b.partitions().length === PARTITIONS / 2, 15_000);
    await ingest(a, batch("n3", "b3", 31, 40));
    await settled(391);
    const fleet = await a.fleet(T0);
    assert.deepEqual(fleet.map((n) => n.id), ["n1", "n2", "n3"]);
    assert.deepEqual(await a.fleet(T0), await b.fleet(T0));
    const n3 = (await a.node("n3", T0))!;
    assert.equal(n3.probeList.reduce((x, p) => x + p.okTotal + p.failTotal, 0), 39, "n3: 39 results once each");
  });

  it("ack poisoning: a forged jump to 2^40 under a victim's boot does not turn its later records into duplicates", async () => {
    assert.equal((await ingest(a, batch("victim", "vb", 1, 10))).ack, 10);
    const forged: TelemetryRecord = { type: "probe", seq: 2 ** 40, at: T0, probe: "p0", kind: "tcp", ok: true, latencyUs: 1, facts: {} };
    await ingest(b, { agentId: "victim", bootId: "vb", records: [forged] });
    const next = batch("victim", "vb", 11, 20);
    const r = await ingest(a, { ...next, records: next.records.filter((x) => x.seq >= 11) });
    assert.equal(r.stored, 10, "the victim's records fill the hole and are stored");
    assert.equal(r.duplicates, 0);
    assert.equal(r.ack, 20);
  });

  it("a node with only new results shows them on every collector within routineEvery + stateEvery under load, and at once when its owner goes idle", async () => {
    // The bound stated in docs/scale-out.md: states, verdicts, events and boots within stateEvery;
    // the last result, totals and lastSeen within routineEvery + stateEvery (plus a NATS hop).
    const results = async (s: JetstreamStore) => (await s.node("busy", T0))?.probeList.reduce((x, p) => x + p.okTotal + p.failTotal, 0) ?? -1;
    await ingest(a, batch("busy", "bb", 1, 5));
    await until(async () => (await results(a)) === 4 && (await results(b)) === 4);
    // A batch every ~50 ms for 5 s: the owner is never idle for 500 ms.
    let seq = 6, last = 4, lastAt = Date.now(), maxGap = 0, shown = 0;
    const end = Date.now() + 5000;
    while (Date.now() < end) {
      await ingest(seq % 2 ? a : b, batch("busy", "bb", seq, seq + 4));
      seq += 5;
      const now = await results(b);
      if (now !== last) (maxGap = Math.max(maxGap, Date.now() - lastAt), last = now, lastAt = Date.now(), shown++);
      await new Promise((r) => setTimeout(r, 50));
    }
    maxGap = Math.max(maxGap, Date.now() - lastAt);
    // Written at most every ROUTINE_EVERY (2 s): about 2-3 versions in 5 s, not one per batch (~70).
    assert.ok(shown >= 1 && shown <= 5, `versions of the node seen by the other collector: ${shown}`);
    // Slack of 1 s for this shared machine (a tick of stateEvery, the apply window, a NATS hop).
    assert.ok(maxGap <= ROUTINE_EVERY + 50 + 1000, `longest time without a newer result in view: ${maxGap} ms`);
    // The load stops: the owner writes what is left once idle (500 ms), not ROUTINE_EVERY later.
    const stopped = Date.now();
    await until(async () => (await results(a)) === seq - 2 && (await results(b)) === seq - 2, 10_000);
    const caughtUp = Date.now() - stopped;
    assert.ok(caughtUp <= 1500, `the last results reached both views ${caughtUp} ms after the load stopped`);
  });

  it("a collector with consume: false takes no partition, and what it ingests is applied by the owners and shown in its view", async () => {
    const c = await openJetstreamStore({ ...opts("c"), consume: false }, { log: () => {} });
    try {
      await c.flush();
      await new Promise((r) => setTimeout(r, 1500)); // three lease ticks (leaseTtl 2 s / 4) of a and b
      assert.deepEqual(c.partitions(), [], "no partition held");
      assert.equal(a.partitions().length + b.partitions().length, PARTITIONS, "a and b still hold every partition");
      assert.equal(a.partitions().length, PARTITIONS / 2, "c is not a lease member: a and b keep half each");
      assert.equal(c.owns("standby-node"), false);
      const before = (await a.stats()).records;
      const r = await ingest(c, batch("standby-node", "sb", 1, 12));
      assert.equal(r.stored, 12);
      await until(async () => (await c.node("standby-node", T0))?.probeList.reduce((x, p) => x + p.okTotal + p.failTotal, 0) === 11);
      await until(async () => (await a.stats()).records === before + 12 && (await c.stats()).records === before + 12);
    } finally {
      await c.close();
    }
  });

  it("a standby (consume: standby) takes no partition while a member is alive, all of them once none is, and hands them back when one returns", async () => {
    const s = await openJetstreamStore({ ...opts("s"), consume: "standby" }, { log: () => {} });
    try {
      await new Promise((r) => setTimeout(r, 1500)); // three lease ticks (leaseTtl 2 s / 4)
      assert.deepEqual(s.partitions(), [], "members alive: the standby holds nothing");
      assert.equal(a.partitions().length + b.partitions().length, PARTITIONS);
      await a.close();
      await b.close();
      const t0 = Date.now();
      await until(() => s.partitions().length === PARTITIONS, 10_000);
      assert.ok(Date.now() - t0 <= 10_000, "taken over within the failover budget (10 s)");
      const r = await ingest(s, batch("standby-only", "so", 1, 6));
      assert.equal(r.stored, 6);
      await until(async () => (await s.node("standby-only", T0))?.probeList.reduce((x, p) => x + p.okTotal + p.failTotal, 0) === 5);
      a = await openJetstreamStore(opts("a"), { log: () => {} });
      await until(() => a.partitions().length === PARTITIONS && s.partitions().length === 0, 15_000);
      assert.equal((await ingest(a, batch("standby-only", "so", 1, 6))).duplicates, 6, "the ack moved with the standby's writes");
    } finally {
      await s.close();
    }
  });
});
