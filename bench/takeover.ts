/**
 * bench/takeover.ts — how long a JetStream collector that takes partitions over needs before it
 * serves them live, against how much the stream holds. A taken partition is replayed from the
 * stream into the taker's read model (from its saved position, or from the start when it never
 * held the partition: docs/scale-out.md, "What happens on failover"); its nodes' entries are
 * written again only once the replay reached the partition's end. So the time from the lease to a
 * live partition grows with the retained records, and this bench gives the rate to size it by.
 *
 *   bun bench/takeover.ts [--records N] [--partitions P] [--per-batch R]
 *
 * One nats-server on loopback. Collector A (in this process) ingests N records (R = 50 per batch, 500
 * agents) and is closed; then, each timed from its open until every partition is held and live:
 *   cold: B opens with an empty read model and replays the whole stream;
 *   warm: A opens again with its own read model file and resumes from its saved positions;
 *   warm, +10 %: A again, after B (now closed) ingested a tenth more.
 * Reported: wall ms, records replayed per wall second and CPU µs per record of this process
 * (nats-server's CPU apart). The machine's other load moves these figures; the ratio cold/warm is
 * the point.
 */
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openJetstreamStore, type JetstreamStore } from "../collector/jetstream_store.ts";
import { encodeBatch } from "../telemetry/codec.ts";
import type { Batch, TelemetryRecord } from "../telemetry/record.ts";
import { runtimeVersion } from "../runtime/detect.ts";
import { freePorts, startNats } from "../tests/nats/_nats.ts";
import { numberArg } from "./_number_arg.ts";

const arg = (flag: string, fallback: number) => {
  const i = process.argv.indexOf(flag);
  return i < 0 ? fallback : numberArg(flag, process.argv[i + 1]);
};
const RECORDS = arg("--records", 500_000);
const PARTITIONS = arg("--partitions", 8);
const AGENTS = 500;
const PER_BATCH = arg("--per-batch", 50);
const T0 = Date.UTC(2026, 11, 1, 0, 0, 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dir = fs.mkdtempSync(join(tmpdir(), "ep-bench-takeover-"));
const [port] = await freePorts(1);
const nats = await startNats(dir, port);
const open = (name: string, file: string) => openJetstreamStore({
  servers: [`127.0.0.1:${port}`], stream: "EP_TAKEOVER", subjectPrefix: "edgeprobe.telemetry", bucket: "ep_takeover", replicas: 1,
  regionLabel: "region", readModel: join(dir, file), raw: false, timeout: 10_000, maxAge: 86_400_000,
  partitions: PARTITIONS, leaseTtl: 2000, collectorId: name, stateEvery: 250,
}, { log: () => {} });

/** Next seq per agent: batches continue each agent's sequence across the phases. */
const next = new Array<number>(AGENTS).fill(1);
async function ingest(store: JetstreamStore, records: number): Promise<void> {
  const rounds = Math.ceil(records / (AGENTS * PER_BATCH));
  for (let r = 0; r < rounds; r++) {
    const sends: Promise<unknown>[] = [];
    for (let a = 0; a < AGENTS; a++) {
      const from = next[a];
      const out: TelemetryRecord[] = [];
      for (let seq = from; seq < from + PER_BATCH; seq++) {
        out.push(seq === 1
          ? { type: "agent-start", seq, at: T0, version: "0.1.0", labels: { region: `r${a % 5}` } }
          : { type: "probe", seq, at: T0 + seq * 1000, probe: `p${seq % 10}`, kind: "tcp", ok: seq % 50 !== 0, latencyUs: 800 + (seq * 7919) % 5000, facts: {} });
      }
      next[a] = from + PER_BATCH;
      const batch: Batch = { agentId: `node-${String(a).padStart(4, "0")}`, bootId: "boot-1", records: out };
      sends.push(store.ingest(batch, T0 + next[a] * 1000, encodeBatch(batch)));
      if (sends.length >= 64) await Promise.all(sends.splice(0));
    }
    await Promise.all(sends);
  }
}

/** Until the store holds every partition, each live; wall ms and this process's CPU µs. */
async function untilLive(store: JetstreamStore, since: number, cpu0: NodeJS.CpuUsage): Promise<{ ms: number; cpuUs: number }> {
  for (;;) {
    const held = store.partitions();
    if (held.length === PARTITIONS && held.every((p) => p.live)) break;
    if (Date.now() - since > 1_800_000) throw new Error(`Cannot finish the bench: ${held.filter((p) => p.live).length} of ${PARTITIONS} partitions live after 30 min`);
    await sleep(20);
  }
  const c = process.cpuUsage(cpu0);
  return { ms: Date.now() - since, cpuUs: c.user + c.system };
}

/** Until the store's read model counted `records` (every batch applied) and its nodes are written. */
async function applied(store: JetstreamStore, records: number): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    await store.flush();
    const got = (await store.stats()).records;
    if (got === records) return;
    if (Date.now() - t0 > 60_000 && (Date.now() - t0) % 30_000 < 200) console.log(`waiting: ${got} of ${records} records in the view, partitions ${JSON.stringify(store.partitions())}`);
    if (Date.now() - t0 > 1_800_000) throw new Error(`Cannot finish the bench: ${(await store.stats()).records} of ${records} records applied after 30 min`);
    await sleep(200);
  }
}

async function phase(name: string, collectorId: string, file: string, replayed: number): Promise<JetstreamStore> {
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  const store = await open(collectorId, file);
  const { ms, cpuUs } = await untilLive(store, t0, cpu0);
  console.log(`${name.padEnd(12)} ${String(replayed).padStart(9)} records  live after ${String(ms).padStart(6)} ms  ${String(Math.round(replayed / (ms / 1000))).padStart(8)} records/s  ${(cpuUs / replayed).toFixed(2).padStart(6)} µs CPU per record`);
  return store;
}

try {
  console.log(`bench/takeover.ts ${new Date().toISOString()} ${runtimeVersion()}; ${PARTITIONS} partitions, ${AGENTS} agents, ${PER_BATCH} records per batch`);
  let a = await open("a", "a.db");
  // An empty partition never turns live (no message says it caught up): wait for the leases only.
  for (const t = Date.now(); a.partitions().length < PARTITIONS; await sleep(20)) {
    if (Date.now() - t > 30_000) throw new Error(`Cannot start the bench: A holds ${a.partitions().length} of ${PARTITIONS} partitions after 30 s`);
  }
  const t0 = Date.now();
  await ingest(a, RECORDS);
  const total = next.reduce((s, n) => s + n - 1, 0);
  await applied(a, total);
  console.log(`filled: ${total} records through A in ${Date.now() - t0} ms`);
  await a.close();
  await sleep(2500); // A's leases expire (leaseTtl) so the next store takes them at once

  const b = await phase("cold", "b", "b.db", total);
  await b.flush();
  const seen = (await b.stats()).records;
  if (seen !== total) throw new Error(`Cannot trust the bench: B's view counts ${seen} records after its replay, not ${total}`);
  const more = Math.ceil(total / 10 / (AGENTS * PER_BATCH)) * AGENTS * PER_BATCH;
  await ingest(b, more);
  await applied(b, total + more);
  await b.close();
  await sleep(2500);

  a = await phase("warm, +10 %", "a", "a.db", more);
  await a.close();
} finally {
  await nats.stop("SIGTERM");
  fs.rmSync(dir, { recursive: true, force: true });
}
