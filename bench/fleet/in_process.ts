/**
 * @module The collector's ingest handler without a socket: decode, store (SQLite), aggregate and
 * ack, on batches the fleet simulator's agents produce (30 probes at 2x speed: 5 s batches carry
 * about 36 records, 60 s batches, as after an outage, about 430), 64 requests in flight.
 * Reported per CPU second of this process, the final checkpoint of the read model included.
 */
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCollectorHandler, openSqliteStore, parseCollectorConfig } from "../../collector/mod.ts";
import { encodeBatch } from "../../telemetry/mod.ts";
import { ack, advance, DEFAULT_BEHAVIOUR, newSimAgent, peek } from "../../simulate/sim_agent.ts";
import { probesOf } from "../../simulate/probe_mix.ts";
import { seededRandom } from "../../simulate/rng.ts";
import { threadCpu } from "./_proc.ts";
import { openDatabase } from "../../runtime/sqlite.ts";

/**
 * @param checkpointMs the store's node checkpoint interval. The default (15 s) writes no node
 *   during a run of a few seconds, only at close (one write per node per `rounds` batches); a
 *   shorter one writes nodes as they go, as a collector does at steady state (every 15 s: one
 *   write per 3 batches of 5 s agents).
 * @param warmRounds rounds ingested before the measurement starts (0: none, as before
 *   2026-11-30 19:30 UTC). A run of a few seconds spends ~20 % of its CPU in the runtime's JIT
 *   threads (the result's `threads`), which a collector pays once at start.
 * @param restart also time opening a copy of the store's files taken just before close (as after
 *   a kill): the journal it replays and how long that takes (not in the CPU figures)
 */
export async function inProcessIngest(agents: number, rounds: number, batchMs = 5000, checkpointMs?: number, warmRounds = 0, restart = false) {
  const b = { ...DEFAULT_BEHAVIOUR, speed: 2, silencesPerAgentHour: 0 };
  const r = seededRandom(1);
  const t0 = Date.now() - rounds * batchMs;
  const sims = Array.from({ length: agents }, (_, i) => newSimAgent(`sim-${i}`, { region: "r1" }, probesOf(30), b, t0, r));
  const bodies: Uint8Array[] = [];
  const sentAt: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const a of sims) {
      advance(a, b, t0 + round * batchMs, r);
      const h = peek(a, 10_000)!;
      bodies.push(encodeBatch({ agentId: a.id, bootId: h.bootId, records: h.records }));
      sentAt.push(t0 + round * batchMs);
      ack(a, h.bootId, h.records[h.records.length - 1].seq);
    }
  }
  const dir = fs.mkdtempSync(join(tmpdir(), "ep-bench-fleet-ip-"));
  const token = "bench-in-process-token-0123456789";
  // The store's clock (when a minute, hour or day is over) follows the agents' time: the run
  // plays minutes of it in seconds, and with the wall clock every minute but the last would look
  // long over, as no collector receiving in real time sees them.
  let agentNow = t0;
  const store = await openSqliteStore({ path: join(dir, "c.db"), clock: () => agentNow, ...(checkpointMs !== undefined ? { checkpointMs } : {}) });
  const config = parseCollectorConfig({ listen: "127.0.0.1:0", auth: { sharedToken: token }, store: { path: join(dir, "c.db") }, limits: { maxBodyBytes: "4MiB" } }, {});
  const { handler, close } = createCollectorHandler(config, store, { now: Date.now, log: () => {} });
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/vnd.edgeprobe.telemetry+cbor" };
  let next = 0, stored = 0;
  const worker = (end: number) => async () => {
    while (next < end) {
      agentNow = sentAt[next];
      const body = bodies[next++];
      const res = await handler(new Request("http://c/api/v1/ingest", { method: "POST", body: body as Uint8Array<ArrayBuffer>, headers: { ...headers, "content-length": String(body.byteLength) } }));
      const out = (await res.json()) as { stored?: number; detail?: string };
      if (!res.ok) throw new Error(`Cannot ingest in-process: ${res.status} ${out.detail}`);
      stored += out.stored!;
    }
  };
  const warm = Math.min(bodies.length, warmRounds * agents);
  await Promise.all(Array.from({ length: 64 }, worker(warm)));
  stored = 0;
  const measured = bodies.length - warm;
  const threads0 = threadCpu(process.pid);
  const cpu0 = process.cpuUsage();
  const t = performance.now();
  await Promise.all(Array.from({ length: 64 }, worker(bodies.length)));
  // A kill now: the files as they are (no transaction is open between ingests), copied aside.
  const copyCpu0 = process.cpuUsage();
  if (restart) for (const f of ["c.db", "c.db-wal"]) if (fs.existsSync(join(dir, f))) fs.copyFileSync(join(dir, f), join(dir, `k${f.slice(1)}`));
  const copyCpu = process.cpuUsage(copyCpu0);
  // The read model's last writes belong to the cost: close checkpoints what is still dirty.
  close();
  await store.close();
  const cpuAll = process.cpuUsage(cpu0);
  const cpu = { user: cpuAll.user - copyCpu.user, system: cpuAll.system - copyCpu.system };
  // Which threads the CPU went to (the JS thread, the runtime's GC and helper threads): /proc ticks.
  const threads1 = threadCpu(process.pid);
  const threads: Record<string, number> = {};
  for (const [name, t] of Object.entries(threads1)) {
    const was = threads0[name] ?? { user: 0, system: 0 };
    const s = +(t.user + t.system - was.user - was.system).toFixed(2);
    if (s > 0) threads[name] = s;
  }
  const wall = (performance.now() - t) / 1000;
  let afterKill: { journalRows: number; journalRecords: number; reopenMs: number } | undefined;
  if (restart) {
    const db = await openDatabase(join(dir, "k.db"));
    const row = db.prepare("SELECT count(*) AS n, coalesce(sum(last_seq - first_seq + 1), 0) AS r FROM batches WHERE rowid > (SELECT min(batch_rowid, fleet_rowid) FROM checkpoint)").get()!;
    db.close();
    const t1 = performance.now();
    const again = await openSqliteStore({ path: join(dir, "k.db"), clock: () => agentNow, readThread: false });
    const reopenMs = performance.now() - t1;
    await again.close();
    afterKill = { journalRows: Number(row.n), journalRecords: Number(row.r), reopenMs: Math.round(reopenMs) };
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const cpuSec = (cpu.user + cpu.system) / 1e6;
  return {
    batchSeconds: batchMs / 1000, ...(checkpointMs !== undefined ? { checkpointMs } : {}), agents, ...(warm > 0 ? { warmBatches: warm } : {}), batches: measured,
    recordsPerBatch: +(stored / measured).toFixed(1), records: stored, wallSec: +wall.toFixed(2), cpuSec: +cpuSec.toFixed(2), recordsPerCpuSec: Math.round(stored / cpuSec),
    usPerBatch: +(cpuSec * 1e6 / measured).toFixed(1), threads, ...(afterKill ? { afterKill } : {}),
  };
}
