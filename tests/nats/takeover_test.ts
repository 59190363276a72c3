/**
 * Taking a partition over, against a real nats-server: the taker replays what the stream holds
 * for it before its nodes' entries are its own, and only then evaluates their alarms (`owns`);
 * a partition with nothing to replay is live at once, even when none of its agents sends again.
 * Run: bun test --timeout 180000 tests/nats/takeover_test.ts
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type JetstreamStore, openJetstreamStore } from "../../collector/jetstream_store.ts";
import { StoreUnavailableError } from "../../collector/store.ts";
import { encodeToken, partitionOf } from "../../collector/jetstream_keys.ts";
import { encodeBatch } from "../../telemetry/codec.ts";
import type { Batch, TelemetryRecord } from "../../telemetry/record.ts";
import { freePorts, type NatsNode, startNats } from "./_nats.ts";

const PARTITIONS = 8;
const AGENTS = 100;
const BATCHES = 30;
const PER_BATCH = 50;
const T0 = Date.UTC(2026, 11, 1, 3, 0, 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean | Promise<boolean>, ms: number, what: () => string) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`Cannot finish test: ${what()} within ${ms} ms`);
    await sleep(10);
  }
}

describe("JetStream takeover: replay before ownership", () => {
  let dir: string;
  let nats: NatsNode;
  let port = 0;
  /** Every store opened, closed in `after` too: a failed assertion must not leave NATS clients timing out into the next test file. */
  const opened: JetstreamStore[] = [];
  const open = async (name: string) => {
    const s = await openStore(name);
    opened.push(s);
    return s;
  };
  const openStore = (name: string) => openJetstreamStore({
    servers: [`127.0.0.1:${port}`], stream: "EP_TAKE", subjectPrefix: "edgeprobe.telemetry", bucket: "ep_take", replicas: 1,
    regionLabel: "region", readModel: join(dir, `${name}.db`), raw: false, timeout: 5000, maxAge: 3_600_000,
    stateEvery: 50, routineEvery: 1000, partitions: PARTITIONS, leaseTtl: 1000, collectorId: name, readModelCheckpointMs: 200,
  }, { log: () => {} });
  const ids = Array.from({ length: AGENTS }, (_, i) => `take-${String(i).padStart(3, "0")}`);
  /** Plus one agent whose only batch comes last: a replay first sees it long after it began. */
  const total = AGENTS * BATCHES * PER_BATCH + PER_BATCH;

  before(async () => {
    dir = fs.mkdtempSync(join(tmpdir(), "ep-nats-take-"));
    [port] = await freePorts(1);
    nats = await startNats(dir, port);
  });
  after(async () => {
    for (const s of opened) await s.close().catch(() => {});
    await nats?.stop("SIGTERM");
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a cold taker owns a partition only once it replayed it; a resumed one with nothing new owns it at once", async () => {
    // A fills the stream (150,000 records over 8 partitions) and stops, handing the leases back.
    const a = await open("a");
    await until(() => a.partitions().length === PARTITIONS, 10_000, () => `a holds ${a.partitions().length}`);
    for (let k = 0; k < BATCHES; k++) {
      await Promise.all(ids.map((agentId) => {
        const records: TelemetryRecord[] = [];
        for (let seq = k * PER_BATCH + 1; seq <= (k + 1) * PER_BATCH; seq++) {
          records.push(seq === 1
            ? { type: "agent-start", seq, at: T0, version: "0.1.0", labels: { region: "north" } }
            : { type: "probe", seq, at: T0 + seq * 100, probe: `p${seq % 5}`, kind: "pfcp", ok: true, latencyUs: 900 + seq, facts: {} });
        }
        const b: Batch = { agentId, bootId: "boot-1", records };
        return a.ingest(b, T0 + (k + 1) * 5000, encodeBatch(b));
      }));
    }
    // A node first seen late in a replay once counted twice: the previous owner's counters as if
    // resumed (the replay had saved a position by then) plus everything replayed.
    const late: Batch = { agentId: "take-late", bootId: "boot-1", records: Array.from({ length: PER_BATCH }, (_, i): TelemetryRecord => (i === 0
      ? { type: "agent-start", seq: 1, at: T0, version: "0.1.0", labels: { region: "north" } }
      : { type: "probe", seq: i + 1, at: T0 + (i + 1) * 100, probe: "p0", kind: "pfcp", ok: true, latencyUs: 900, facts: {} })) };
    await a.ingest(late, T0 + (BATCHES + 1) * 5000, encodeBatch(late));
    await until(async () => {
      await a.flush();
      return (await a.stats()).records === total;
    }, 60_000, () => "a's view does not count every record");
    assert.ok(ids.every((id) => a.owns(id)), "the filler owns every agent");
    await a.close();

    // B takes every partition with an empty read model: it replays all of them. Sampled every 5 ms,
    // it never owns an agent whose partition it has not caught up on.
    const b = await open("b");
    const samples: { held: number; live: number; owned: number; violations: number }[] = [];
    const sampler = setInterval(() => {
      const parts = b.partitions();
      const liveSet = new Set(parts.filter((p) => p.live).map((p) => p.partition));
      let owned = 0, violations = 0;
      for (const id of ids) {
        if (!b.owns(id)) continue;
        owned++;
        if (!liveSet.has(partitionOf(encodeToken(id), PARTITIONS))) violations++;
      }
      samples.push({ held: parts.length, live: liveSet.size, owned, violations });
    }, 5);
    try {
      // History asked during the replay: answered where the partition is live, else refused as
      // unavailable (503 at the API), never from a half-replayed read model.
      const w = { from: T0, to: T0 + 3_600_000 };
      const asked = await Promise.all(ids.map((id) => b.history(id, "p1", w, 60_000).then((points) => ({ ok: points !== undefined }), (e: Error) => ({ ok: false, e }))));
      const refused = asked.filter((r) => "e" in r);
      assert.ok(refused.every((r) => r.e instanceof StoreUnavailableError), `only "unavailable" refusals: ${refused.map((r) => r.e?.message).join("; ")}`);
      assert.ok(refused.length > 0, "some history asked during the replay was refused");
      await until(() => b.partitions().length === PARTITIONS && b.partitions().every((p) => p.live), 60_000, () => `b live on ${b.partitions().filter((p) => p.live).length} of ${b.partitions().length}`);
      await sleep(50);
    } finally {
      clearInterval(sampler);
    }
    assert.equal(samples.reduce((x, s) => x + s.violations, 0), 0, "no agent owned before its partition caught up");
    assert.ok(samples.some((s) => s.held > 0 && s.owned < AGENTS), `the replay was seen with agents not owned yet (${samples.length} samples)`);
    assert.ok(ids.every((id) => b.owns(id)), "every agent owned once the replay ended");
    const points = await b.history(ids[0], "p1", { from: T0, to: T0 + 3_600_000 }, 60_000);
    assert.equal(points!.reduce((x, p) => x + p.count, 0), BATCHES * PER_BATCH / 5 - 1, "history complete once live (seq 1 is the agent-start)");
    let counted = 0;
    await until(async () => {
      await b.flush();
      counted = (await b.stats()).records;
      return counted === total;
    }, 30_000, () => `b's view counts ${counted} records, not ${total} (each once); b holds ${JSON.stringify(b.partitions())}`);
    await b.close();

    // A again, on its own read model: every partition resumes at its newest message. No agent sends,
    // so no message says "caught up"; the partitions' newest sequences do.
    const a2 = await open("a");
    const t0 = Date.now();
    await until(() => a2.partitions().length === PARTITIONS && ids.every((id) => a2.owns(id)), 10_000, () => `a2 live on ${a2.partitions().filter((p) => p.live).length} of ${a2.partitions().length}`);
    console.log(`takeover: cold replay of ${total} records seen in ${samples.length} samples; a resumed collector owned every agent ${Date.now() - t0} ms after opening`);
    assert.equal((await a2.stats()).records, total, "nothing counted twice after the resume");
    await a2.close();
  });
});
