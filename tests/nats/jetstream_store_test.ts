/**
 * The JetStream store against one real nats-server (-js) on 127.0.0.1:26001: two stores (two
 * collectors) share acks, states and the fleet view. Run: bash scripts/test.sh integration nats
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, headers } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { ackKey, type JetstreamStore, openJetstreamStore, RECEIVED_AT_HEADER, stateKey } from "../../collector/jetstream_store.ts";
import { encodeBatch } from "../../telemetry/codec.ts";
import type { Batch, TelemetryRecord } from "../../telemetry/record.ts";
import { storedRecords } from "../telemetry/_procs.ts";
import { type NatsNode, startNats } from "./_nats.ts";

const PORT = 26001;
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
    // a writes probe states before each ack, b coalesces them: both paths are exercised.
    stateEvery: name === "a" ? 0 : 100,
  });

  before(async () => {
    dir = fs.mkdtempSync(join(tmpdir(), "ep-nats1-"));
    nats = await startNats(dir, PORT);
    a = await openJetstreamStore(opts("a"), { log: () => {} });
    b = await openJetstreamStore(opts("b"), { log: () => {} });
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
    const r = await ingest(b, batch("n1", "boot1", 151, 160));
    assert.equal(r.gap, 10);
    assert.equal(r.ack, 160);
  });

  it("both collectors serve the same fleet, node and stats; every seq is held once", async () => {
    for (let i = 0; i < 10; i++) await ingest(i % 2 ? a : b, batch("n2", "bootX", i * 20 + 1, i * 20 + 20));
    await until(() => a.applied() === b.applied());
    const fa = await a.fleet(T0), fb = await b.fleet(T0);
    assert.deepEqual(fa, fb);
    assert.deepEqual(fa.map((n) => n.id), ["n1", "n2"]);
    assert.equal(fa[0].labels.region, "north");
    assert.deepEqual(await a.node("n1", T0), await b.node("n1", T0));
    const sa = await a.stats(), sb = await b.stats();
    assert.equal(sa.records, 150 + 200);
    assert.equal(sb.records, 150 + 200);
    assert.equal(sa.gapRecords, 10);
    for (const name of ["a", "b"]) {
      const stored = await storedRecords(join(dir, `${name}.db`));
      const n1 = stored.filter((r) => r.agentId === "n1").map((r) => r.seq);
      assert.deepEqual(n1, [...Array.from({ length: 140 }, (_, k) => k + 1), ...Array.from({ length: 10 }, (_, k) => k + 151)], `${name}: n1 seqs once each`);
      assert.deepEqual(stored.filter((r) => r.agentId === "n2").map((r) => r.seq), Array.from({ length: 200 }, (_, k) => k + 1));
    }
  });

  it("a range published twice to the stream (a retry after the duplicate window) is counted once", async () => {
    const nc = await connect({ servers: [`127.0.0.1:${PORT}`] });
    try {
      const h = headers();
      h.set(RECEIVED_AT_HEADER, String(T0));
      const again = encodeBatch(batch("n2", "bootX", 181, 200));
      await jetstream(nc).publish("edgeprobe.telemetry.north.n2", again, { msgID: "manual-replay", headers: h });
      const before = (await a.stats()).records;
      const target = a.applied() + 1;
      await until(() => a.applied() >= target && b.applied() >= target);
      assert.equal((await a.stats()).records, before);
      assert.equal((await b.stats()).records, before);
      assert.ok((await a.stats()).duplicates >= 20);
    } finally {
      await nc.close();
    }
  });

  it("keeps the ack and the latest state per (agent, probe) in the key-value bucket", async () => {
    const nc = await connect({ servers: [`127.0.0.1:${PORT}`] });
    try {
      const kv = await new Kvm(nc).open("ep_test");
      const ack = await kv.get(ackKey("n1", "boot1"));
      assert.deepEqual(JSON.parse(ack!.string()), { acked: 160, region: "north" });
      let st: { seq: number; bootId: string; ok: boolean; at: number; failure: { kind: string }; facts: { i: number } } | undefined;
      await until(async () => (st = JSON.parse((await kv.get(stateKey("n1", "p1")))?.string() ?? "null"))?.seq === 160);
      assert.ok(st);
      // seq 160 is p1 (160 % 3 = 1) and a timeout (160 % 10 = 0).
      assert.equal(st.seq, 160);
      assert.equal(st.bootId, "boot1");
      assert.equal(st.ok, false);
      assert.equal(st.failure.kind, "timeout");
      assert.equal(st.facts.i, 160);
      const node = await b.node("n1", T0);
      const p1 = node!.probeList.find((p) => p.name === "p1")!;
      assert.equal(p1.last!.at, st.at, "the read model and the bucket agree on the last result");
      assert.equal(ackKey("agent.with space", "b*>"), "ack.agent=2Ewith=20space.b=2A=3E");
    } finally {
      await nc.close();
    }
  });

  it("a collector restarted on its read model file resumes from its stream position without counting twice", async () => {
    const before = await a.stats();
    const at = a.applied();
    await a.close();
    await ingest(b, batch("n3", "b3", 1, 30));
    a = await openJetstreamStore(opts("a"), { log: () => {} });
    assert.ok(a.applied() >= at + 1);
    await until(() => a.applied() === b.applied());
    const fleet = await a.fleet(T0);
    assert.deepEqual(fleet.map((n) => n.id), ["n1", "n2", "n3"]);
    const stored = await storedRecords(join(dir, "a.db"));
    assert.deepEqual(stored.filter((r) => r.agentId === "n3").map((r) => r.seq), Array.from({ length: 30 }, (_, k) => k + 1));
    assert.equal(stored.filter((r) => r.agentId === "n2").length, 200);
    assert.ok(before.nodes === 2);
  });
});
