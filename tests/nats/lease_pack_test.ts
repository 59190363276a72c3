/**
 * `store.balance: pack` against one real nats-server: three stores (collectors) with an injected
 * CPU load that follows the partitions each holds (a fixed part plus a part per partition, the
 * shape measured in docs/scale-out.md "Sixth pass"). Light load: every partition on the first
 * member in id order; the load grows: the partitions spread over more members; it falls: they
 * pack back after the dwell, with no change in between; agents keep sending through all three,
 * and every record is counted once across the handovers.
 * Run: bash scripts/test.sh integration nats
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { Kvm } from "@nats-io/kv";
import { ackKey, type JetstreamStore, openJetstreamStore } from "../../collector/jetstream_store.ts";
import { encodeBatch } from "../../telemetry/codec.ts";
import type { Batch, TelemetryRecord } from "../../telemetry/record.ts";
import { freePorts, type NatsNode, startNats } from "./_nats.ts";

const PARTITIONS = 8;
const DWELL = 3000;
const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`Cannot finish test: ${what} not within ${ms} ms`);
    await sleep(20);
  }
}

describe("JetStream leases, balance: pack", () => {
  let dir: string;
  let nats: NatsNode;
  let port = 0;
  const stores = new Map<string, JetstreamStore>();
  /** Core-seconds per second each held partition costs in the injected load; the fixed part is 0.05. */
  let perPartition = 0.01;
  const cpu = (name: string) => () => 0.05 + perPartition * (stores.get(name)?.partitions().length ?? 0);
  const open = (name: string) => openJetstreamStore({
    servers: [`127.0.0.1:${port}`], stream: "EP_PACK", subjectPrefix: "edgeprobe.telemetry", bucket: "ep_pack", replicas: 1,
    regionLabel: "region", readModel: join(dir, `${name}.db`), raw: false, timeout: 5000, maxAge: 3_600_000,
    stateEvery: 50, routineEvery: 1000, partitions: PARTITIONS, leaseTtl: 2000, collectorId: name, readModelCheckpointMs: 200,
    balance: "pack", pack: { high: 0.65, low: 0.35, dwell: DWELL }, cpuLoad: cpu(name),
  }, { log: () => {} });

  before(async () => {
    dir = fs.mkdtempSync(join(tmpdir(), "ep-nats-pack-"));
    [port] = await freePorts(1);
    nats = await startNats(dir, port);
    for (const name of ["a", "b", "c"]) stores.set(name, await open(name));
  });
  after(async () => {
    await Promise.all([...stores.values()].map((s) => s.close()));
    await nats?.stop("SIGTERM");
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("packs onto the first member at light load, spreads as the load grows, packs back after the dwell without flapping; every record once", async () => {
    const [a, b, c] = ["a", "b", "c"].map((n) => stores.get(n)!);
    const held = () => [a, b, c].map((s) => s.partitions().length);
    // Light load (0.05 + 8 × 0.01 = 0.13 on the one active member): all partitions on "a".
    await until(() => held()[0] === PARTITIONS && held()[1] === 0 && held()[2] === 0 && [a, b, c].every((s) => s.balance().members === 3), 15_000, "all partitions on a");
    assert.deepEqual([a, b, c].map((s) => s.balance()), [{ members: 3, active: 1, index: 0 }, { members: 3, active: 1, index: 1 }, { members: 3, active: 1, index: 2 }]);

    // Agents send through every collector the whole time (each batch to the next collector).
    const emitted = new Map<string, number>();
    let sending = true, sent = 0;
    const agents = Array.from({ length: 12 }, (_, i) => `node-${i}`);
    const send = (async () => {
      while (sending) {
        for (const id of agents) {
          const from = (emitted.get(id) ?? 0) + 1, to = from + 4;
          const records: TelemetryRecord[] = [];
          for (let seq = from; seq <= to; seq++) {
            records.push(seq === 1
              ? { type: "agent-start", seq, at: T0, version: "0.1.0", labels: { region: "north" } }
              : { type: "probe", seq, at: T0 + seq * 1000, probe: `p${seq % 3}`, kind: "tcp", ok: true, latencyUs: 1000 + seq, facts: {} });
          }
          const batch: Batch = { agentId: id, bootId: "boot", records };
          const s = [a, b, c][sent++ % 3];
          const r = await s.ingest(batch, T0 + to * 1000, encodeBatch(batch));
          assert.equal(r.ack, to, `${id}: acked through ${to}`);
          emitted.set(id, to);
        }
        await sleep(40);
      }
    })();

    // Record the active count every 50 ms from here on, and check no partition is held twice.
    const actives: number[] = [];
    let overlaps = 0;
    const sampler = setInterval(() => {
      actives.push(a.balance().active);
      const all = [a, b, c].flatMap((s) => s.partitions().map((p) => p.partition));
      if (new Set(all).size !== all.length) overlaps++;
    }, 50);
    try {
      await sleep(1500);
      assert.ok(actives.every((k) => k === 1), "light: one active member throughout");

      // The load grows: 8 partitions × 0.1 = 0.85 on "a", over the high-water mark (0.65): two members.
      perPartition = 0.1;
      const grewAt = Date.now();
      await until(() => held()[0] === PARTITIONS / 2 && held()[1] === PARTITIONS / 2 && held()[2] === 0, 10_000, "the partitions spread over a and b");
      const spreadMs = Date.now() - grewAt;
      // Two members at 0.45 each: under the high-water mark, and 0.9 does not fit into one under 0.35.
      await sleep(DWELL + 1500);
      assert.deepEqual(held(), [PARTITIONS / 2, PARTITIONS / 2, 0], "stays spread over two while the load holds");

      // The load falls: 4 × 0.02 + 0.05 = 0.13 each, 0.26 fits into one under 0.35: back onto "a" after the dwell.
      perPartition = 0.02;
      const fellAt = Date.now();
      await sleep(DWELL - 1000);
      assert.deepEqual(held(), [PARTITIONS / 2, PARTITIONS / 2, 0], "not before the dwell");
      await until(() => held()[0] === PARTITIONS && held()[1] === 0 && held()[2] === 0, DWELL + 10_000, "packed back onto a");
      const packMs = Date.now() - fellAt;
      await sleep(DWELL + 1000);
      assert.deepEqual(held(), [PARTITIONS, 0, 0], "stays packed");

      // No flapping: the active count went 1 → 2 → 1, one change each way.
      const runs = actives.filter((k, i) => i === 0 || k !== actives[i - 1]);
      assert.deepEqual(runs, [1, 2, 1], `active members over time: ${runs.join(" → ")}`);
      assert.equal(overlaps, 0, "no partition held by two collectors at once");
      console.log(`pack: spread over 2 members ${spreadMs} ms after the load grew, packed back ${packMs} ms after it fell (dwell ${DWELL} ms)`);
    } finally {
      clearInterval(sampler);
      sending = false;
      await send;
    }

    // Every record once: the shared acks, the counts every collector shows, each node's results.
    const total = [...emitted.values()].reduce((x, n) => x + n, 0);
    assert.ok(total > 200, `records sent: ${total}`);
    await a.flush();
    await until(async () => {
      for (const s of [a, b, c]) if ((await s.stats()).records !== total) return false;
      return true;
    }, 15_000, `every collector counting ${total} records`);
    for (const s of [a, b, c]) {
      const st = await s.stats();
      // `duplicates` may count records a partition's new owner replayed from its saved position
      // (saved every 5 s and at release) and skipped: each counts once in `records`.
      assert.equal(st.records, total, "every record once");
      for (const id of agents) {
        const n = await s.node(id, T0);
        assert.equal(n!.probeList.reduce((x, p) => x + p.okTotal + p.failTotal, 0), emitted.get(id)! - 1, `${id}: each result once`);
      }
    }
    const nc = await connect({ servers: [`127.0.0.1:${port}`] });
    try {
      const kv = await new Kvm(nc).open("ep_pack");
      for (const id of agents) assert.equal(JSON.parse((await kv.get(ackKey(id, "boot")))!.string()).acked, emitted.get(id));
    } finally {
      await nc.close();
    }
  });
});
