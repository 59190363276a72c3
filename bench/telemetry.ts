/**
 * bench:telemetry — wire size, codec speed, collector ingest speed.
 *
 *   npm run bench:telemetry            (bun bench/telemetry.ts [--quick])
 *
 * 1. Bytes per probe record inside a 500-record batch: our CBOR v1, the same records as JSON, and
 *    an OTLP/JSON ExportMetricsServiceRequest with one gauge data point per result carrying the
 *    same facts as attributes.
 * 2. encode+decode records/s (batch codec, and the per-record spool codec).
 * 3. Collector ingest records/s per CPU core from 1,000 simulated agents: in-process (decode +
 *    SQLite store, CPU time measured) and over HTTP/1.1 against a collector process (its CPU time
 *    read from /proc/PID/stat).
 */
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { decodeBatch, decodeRecord, encodeBatch, encodeRecord } from "../telemetry/codec.ts";
import type { RecordBody, TelemetryRecord } from "../telemetry/record.ts";
import { parseCollectorConfig } from "../collector/config.ts";
import { createCollectorHandler } from "../collector/collector.ts";
import { openSqliteStore } from "../collector/sqlite_store.ts";
import { runtimeVersion } from "../runtime/detect.ts";
import { createUplink } from "../agent/uplink.ts";
import { telemetrySchema } from "../telemetry/telemetry_config.ts";
import { systemClock } from "../runtime/clock.ts";

const quick = process.argv.includes("--quick");
const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);
const KINDS = ["pfcp", "gtpu", "sip", "diameter", "http"];

/** A realistic agent stream: 10 probes every 5 s, 2% failures, PFCP/GTP facts on some probes. */
function agentRecords(n: number, firstSeq = 1, probes = 10): TelemetryRecord[] {
  const out: TelemetryRecord[] = [];
  for (let k = 0; k < n; k++) {
    const p = k % probes;
    const at = T0 + Math.floor(k / probes) * 5000 + p * 37 + (k * 7919) % 13;
    const ok = (k * 2654435761) % 100 >= 2;
    const kind = KINDS[p % KINDS.length];
    const facts = kind === "pfcp" ? { recoveryTimeStamp: 3900000000 } : kind === "gtpu" ? { restartCounter: 7 } : undefined;
    out.push({
      seq: firstSeq + k, type: "probe", at, probe: `${kind}-${p}`, kind, ok, latencyUs: 800 + ((k * 104729) % 9000),
      ...(ok ? {} : { failure: { kind: "timeout" as const, message: `Cannot receive ${kind} answer: no answer in 2000 ms` } }),
      ...(facts ? { facts } : {}),
    } as TelemetryRecord);
  }
  return out;
}

function otlpJson(agentId: string, recs: readonly TelemetryRecord[]): string {
  const attr = (key: string, v: string | number | boolean) => ({ key, value: typeof v === "string" ? { stringValue: v } : typeof v === "boolean" ? { boolValue: v } : { intValue: String(v) } });
  const points = recs.filter((r) => r.type === "probe").map((r) => {
    const p = r as Extract<RecordBody, { type: "probe" }> & { seq: number };
    return {
      attributes: [attr("probe", p.probe), attr("kind", p.kind), attr("ok", p.ok), attr("seq", p.seq),
        ...(p.failure ? [attr("failure.kind", p.failure.kind), attr("failure.message", p.failure.message ?? "")] : []),
        ...Object.entries(p.facts ?? {}).map(([k, v]) => attr(k, v))],
      timeUnixNano: String(BigInt(p.at) * 1_000_000n),
      asDouble: p.latencyUs / 1e6,
    };
  });
  return JSON.stringify({ resourceMetrics: [{ resource: { attributes: [attr("service.name", "edgeprobe"), attr("host.name", agentId), attr("edgeprobe.boot_id", "6f1c2b9e8d7a4c31")] },
    scopeMetrics: [{ scope: { name: "edgeprobe" }, metrics: [{ name: "edgeprobe.probe.latency", unit: "s", gauge: { dataPoints: points } }] }] }] });
}

/** Calls per second: warm up, then the best of 3 timed runs (the machine is shared; the best run is the least disturbed). */
function timeIt(fn: () => void, minMs = quick ? 200 : 800): number {
  const w = performance.now();
  while (performance.now() - w < minMs / 2) fn();
  let best = 0;
  for (let run = 0; run < 3; run++) {
    let n = 0;
    const t = performance.now();
    while (performance.now() - t < minMs) {
      fn();
      n++;
    }
    best = Math.max(best, n / ((performance.now() - t) / 1000));
  }
  return best;
}

const results: Record<string, unknown> = { runtime: runtimeVersion(), date: new Date().toISOString(), cpus: (await import("node:os")).cpus().length };

// 1. Size.
{
  const recs = agentRecords(500);
  const cbor = encodeBatch({ agentId: "upf-17", bootId: "6f1c2b9e8d7a4c31", records: recs });
  const json = JSON.stringify({ agentId: "upf-17", bootId: "6f1c2b9e8d7a4c31", records: recs });
  const otlp = otlpJson("upf-17", recs);
  const enc = new TextEncoder();
  const noFacts = agentRecords(500).map((r) => ({ ...r, facts: undefined }));
  const okOnly = recs.filter((r) => r.type === "probe" && r.ok);
  results.bytesPerRecord = {
    cborBatch: cbor.length / 500,
    cborBatchNoFacts: encodeBatch({ agentId: "upf-17", bootId: "6f1c2b9e8d7a4c31", records: JSON.parse(JSON.stringify(noFacts)) }).length / 500,
    cborOkRecordMarginal: (encodeBatch({ agentId: "a", bootId: "b", records: okOnly.slice(0, 400).map((r, k) => ({ ...r, seq: k + 1 })) }).length -
      encodeBatch({ agentId: "a", bootId: "b", records: okOnly.slice(0, 200).map((r, k) => ({ ...r, seq: k + 1 })) }).length) / 200,
    cborSpoolRecord: recs.reduce((a, r) => a + encodeRecord(r).length, 0) / 500,
    json: enc.encode(json).length / 500,
    otlpJson: enc.encode(otlp).length / 500,
  };
}

// 2. Codec speed.
{
  const recs = agentRecords(500);
  const batch = { agentId: "upf-17", bootId: "6f1c2b9e8d7a4c31", records: recs };
  const bytes = encodeBatch(batch);
  const bodies = recs.map((r) => encodeRecord(r));
  results.codecRecordsPerSec = {
    batchEncode: Math.round(timeIt(() => encodeBatch(batch)) * 500),
    batchDecode: Math.round(timeIt(() => decodeBatch(bytes)) * 500),
    batchEncodePlusDecode: Math.round(timeIt(() => decodeBatch(encodeBatch(batch))) * 500),
    spoolRecordEncodePlusDecode: Math.round(timeIt(() => {
      for (let k = 0; k < 500; k++) decodeRecord(encodeRecord(recs[k]));
    }) * 500),
    uplinkPath: Math.round(timeIt(() => {
      // what the agent does per record: encode for the spool, decode from it, encode into a batch
      const back = bodies.map((b, k) => ({ ...decodeRecord(b), seq: k + 1 }) as TelemetryRecord);
      encodeBatch({ agentId: "a", bootId: "b", records: back });
    }) * 500),
  };
}

// 2b. The agent's cost per event: recordFromEvent + encodeRecord + one write(2) to the spool.
{
  const dir = fs.mkdtempSync(join(tmpdir(), "ep-bench-spool-"));
  const ac = new AbortController();
  const config = telemetrySchema.parse({ collector: "http://127.0.0.1:9/", spool: { dir, maxBytes: "64MiB" }, batch: { interval: "1m" } }); // the bound (docs/config.md "Bounds"); the emit loop below is synchronous, so no batch goes out during it
  const uplink = await createUplink(config, { agentId: "upf-17", labels: {}, clock: systemClock, log: () => {}, signal: ac.signal });
  const n = quick ? 20_000 : 100_000;
  const ev = (i: number) => ({ type: "probe-result" as const, probe: `pfcp-${i % 10}`, kind: "pfcp", result: { ok: true, startedAt: T0 + i, latencyMs: 1.234, facts: { recoveryTimeStamp: 3900000000 } } });
  const cpu0 = process.cpuUsage();
  const t = performance.now();
  for (let i = 0; i < n; i++) uplink.emit(ev(i));
  const wall = performance.now() - t;
  const cpu = process.cpuUsage(cpu0);
  results.uplinkEmit = { events: n, usPerEventWall: +(wall * 1000 / n).toFixed(2), usPerEventCpu: +((cpu.user + cpu.system) / n).toFixed(2), spoolBytesPerRecord: +(uplink.stats().spool.bytes / n).toFixed(1) };
  await uplink.close(AbortSignal.timeout(100));
  ac.abort();
  fs.rmSync(dir, { recursive: true, force: true });
}

// 3a. Ingest in-process: decode + validate + SQLite transaction, CPU time.
const TOKEN = "bench-token-0123456789abcdef";
async function ingestInProcess(agents: number, perBatch: number, rounds: number) {
  const dir = fs.mkdtempSync(join(tmpdir(), "ep-bench-"));
  const config = parseCollectorConfig({ auth: { sharedToken: TOKEN }, store: { path: join(dir, "c.db") }, limits: { maxBodyBytes: "4MiB", recordTimeWindow: "87600h" } }, {});
  const store = await openSqliteStore({ path: join(dir, "c.db") });
  const { handler, close } = createCollectorHandler(config, store, { now: Date.now, log: () => {} });
  const bodies: Uint8Array[] = [];
  for (let r = 0; r < rounds; r++) {
    for (let a = 0; a < agents; a++) bodies.push(encodeBatch({ agentId: `agent-${String(a).padStart(4, "0")}`, bootId: "b1", records: agentRecords(perBatch, 1 + r * perBatch).map((x) => ({ ...x, at: x.at + r * perBatch * 500 })) }));
  }
  const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/vnd.edgeprobe.telemetry+cbor" };
  const cpu0 = process.cpuUsage();
  const t = performance.now();
  let stored = 0;
  // 64 requests in flight, as concurrent agents would be; one agent never has two in flight
  // because round r of every agent is queued before round r+1.
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const b = bodies[next++];
      const res = await handler(new Request("http://c/api/v1/ingest", { method: "POST", body: b as Uint8Array<ArrayBuffer>, headers: { ...headers, "content-length": String(b.byteLength) } }));
      const out = await res.json() as { stored: number };
      stored += out.stored; // read after the await: `x += await y` would read x before it
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  const wall = (performance.now() - t) / 1000;
  const cpu = process.cpuUsage(cpu0);
  close();
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
  const cpuSec = (cpu.user + cpu.system) / 1e6;
  return { agents, perBatch, batches: bodies.length, inFlight: 64, records: stored, wallSec: +wall.toFixed(2), cpuSec: +cpuSec.toFixed(2), recordsPerCpuSec: Math.round(stored / cpuSec) };
}

results.ingestInProcess = [
  await ingestInProcess(1000, 500, quick ? 1 : 2),
  await ingestInProcess(1000, 50, quick ? 2 : 10),
  await ingestInProcess(1000, 5, quick ? 4 : 20),
];

// 3b. Over HTTP/1.1 against a collector process; its CPU from /proc.
async function ingestHttp(agents: number, perBatch: number, rounds: number, concurrency: number) {
  const dir = fs.mkdtempSync(join(tmpdir(), "ep-bench-"));
  const port = 23200;
  fs.writeFileSync(join(dir, "c.yaml"), `listen: "127.0.0.1:${port}"\nauth: { sharedToken: "${TOKEN}" }\nstore: { path: "${join(dir, "c.db")}" }\nlimits: { maxBodyBytes: 4MiB, recordTimeWindow: 87600h }\n`);
  const child = spawn(process.execPath, ["cli/main.ts", "collector", "--config", join(dir, "c.yaml")], { cwd: new URL("../", import.meta.url).pathname, stdio: ["ignore", "pipe", "ignore"] });
  await new Promise<void>((resolve) => child.stdout!.on("data", (d: Buffer) => d.toString().includes("listening") && resolve()));
  const ticks = () => {
    const f = fs.readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, USER_HZ = 100
  };
  const queue: Uint8Array[] = [];
  for (let r = 0; r < rounds; r++) {
    for (let a = 0; a < agents; a++) queue.push(encodeBatch({ agentId: `agent-${a}`, bootId: "b1", records: agentRecords(perBatch, 1 + r * perBatch).map((x) => ({ ...x, at: x.at + r * perBatch * 500 })) }));
  }
  const total = queue.length;
  const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/vnd.edgeprobe.telemetry+cbor" };
  const c0 = ticks();
  const t = performance.now();
  let stored = 0;
  // Round r of every agent goes before round r+1, and one agent never has two batches in flight.
  let next = 0;
  const worker = async () => {
    while (next < queue.length) {
      const b = queue[next++];
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/ingest`, { method: "POST", body: b as Uint8Array<ArrayBuffer>, headers });
      const out = await res.json() as { stored: number };
      stored += out.stored; // read after the await: `x += await y` would read x before it
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wall = (performance.now() - t) / 1000;
  const cpuSec = ticks() - c0;
  child.kill("SIGTERM");
  await new Promise((r) => child.on("exit", r));
  fs.rmSync(dir, { recursive: true, force: true });
  return { agents, perBatch, batches: total, concurrency, records: stored, wallSec: +wall.toFixed(2), collectorCpuSec: +cpuSec.toFixed(2), recordsPerCpuSec: Math.round(stored / cpuSec), recordsPerWallSec: Math.round(stored / wall) };
}

results.ingestHttp = [
  await ingestHttp(1000, 500, quick ? 1 : 2, 8),
  await ingestHttp(1000, 50, quick ? 2 : 6, 32),
  await ingestHttp(1000, 5, quick ? 4 : 10, 64),
];

console.log(JSON.stringify(results, null, 2));
fs.mkdirSync(new URL("./out/", import.meta.url), { recursive: true });
fs.writeFileSync(new URL("./out/telemetry.json", import.meta.url), JSON.stringify(results, null, 2) + "\n");
