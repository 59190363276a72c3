/**
 * @module Overload at twice capacity, measurable on a small machine: one SQLite collector process
 * held to a fraction of a core (bench/fleet/cpu_limit.ts), fed by the fleet simulator in this
 * process.
 *
 * 1. Capacity C: the collector with shedding out of the way (`maxIngestInFlight` above the
 *    simulator's requests in flight, so excess queues instead) is offered more than it takes;
 *    C = records stored per second over the measured window, with its CPU at the limit. If it
 *    stored nearly all it was offered, the offer is doubled and the phase run again.
 * 2. Twice C: a fresh collector, the same limit, shedding on (`maxIngestInFlight`), offered 2 × C.
 *    Measured: records stored per second (against C), batches shed (503) and refused by the
 *    per-source cap (429), every refusal carrying a Retry-After the agents waited for, request
 *    timeouts, and the fleet API's answer times from another process.
 * 3. The load drops (the simulator stops producing) and the backlog drains: its time, then every
 *    record the agents produced acknowledged and stored exactly once (the collector's own count).
 *
 * Used by `bench:fleet --only overload` (figures in docs/scale-out.md) and, smaller, by
 * tests/fleet/overload_test.ts.
 */
import * as fs from "node:fs";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSimulation, type SimulationStats } from "../../simulate/mod.ts";
import { probesOf } from "../../simulate/probe_mix.ts";
import { cpuSeconds, rssMiB, startCollectorProcess, type CollectorProcess } from "./_proc.ts";
import { limitCpu } from "./cpu_limit.ts";

export interface OverloadOptions {
  /** The collector's CPU limit in cores. */
  readonly cores: number;
  readonly agents: number;
  readonly probes: number;
  /** Records/s offered in the capacity phase (a guess above C; doubled while not saturated). */
  readonly capacityOffer: number;
  readonly warmMs: number;
  readonly measureMs: number;
  readonly drainTimeoutMs: number;
  /** Shedding threshold in the twice-capacity phase. */
  readonly maxIngestInFlight: number;
  /** The simulator's requests in flight. @default 256 */
  readonly concurrency?: number;
  /** Fleet-API GETs during the twice-capacity window (one every measureMs / samples). @default 60 */
  readonly apiSamples?: number;
  /** Collector port (0 = free). @default 0 */
  readonly port?: number;
  readonly log?: (line: string) => void;
  /** Skip phase 1 and take this C (experiments on the shedding side only). */
  readonly knownCapacity?: number;
}

const TOKEN = "bench-overload-token-0123456789abcdef";
const VIEWER = "bench-overload-viewer-0123456789abcdef";
const CALM = { failRate: 0, episodesPerProbeHour: 0, peerRestartsPerProbeHour: 0, silencesPerAgentHour: 0 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Records per second one agent produces at speed 1 (one result per probe run). */
export function recordsPerAgentSecond(probes: number): number {
  return probesOf(probes).reduce((s, p) => s + 1000 / p.intervalMs, 0);
}

async function metrics(url: string): Promise<{ records: number; duplicates: number; batches: Record<string, number> }> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${VIEWER}` } })).text();
  const num = (name: string) => Number(new RegExp(`^${name} (\\d+)`, "m").exec(text)?.[1] ?? 0);
  const batches: Record<string, number> = {};
  for (const m of text.matchAll(/^edgeprobe_collector_ingest_batches_total\{result="([^"]+)"\} (\d+)/gm)) batches[m[1]] = Number(m[2]);
  return { records: num("edgeprobe_collector_ingest_records_total"), duplicates: num("edgeprobe_collector_ingest_duplicates_total"), batches };
}

function quantile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : 0;
}

/** The fleet API sampled from another process (bench/fleet/api_sampler.ts). */
function sampleApi(url: string, count: number, intervalMs: number): Promise<{ statuses: Record<string, number>; p50: number; p99: number; max: number; n: number }> {
  const script = new URL("./api_sampler.ts", import.meta.url).pathname;
  const child = spawn(process.execPath, [script, `${url}/api/v1/fleet?limit=100`, VIEWER, String(count), String(intervalMs)], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => void (out += d.toString()));
  return new Promise((resolve, reject) => {
    child.on("exit", (code) => {
      try {
        const r = JSON.parse(out) as { statuses: Record<string, number>; ms: number[] };
        const s = [...r.ms].sort((a, b) => a - b);
        resolve({ statuses: r.statuses, p50: quantile(s, 0.5), p99: quantile(s, 0.99), max: s[s.length - 1] ?? 0, n: s.length });
      } catch (e) {
        reject(new Error(`Cannot read the fleet-API sampler: exit ${code}, ${out.slice(0, 200)}`, { cause: e }));
      }
    });
  });
}

interface Window {
  offeredPerSec: number;
  storedPerSec: number;
  recordsPerBatch: number;
  collectorCpuShare: number;
  byStatus: Record<string, number>;
  retryAfterHonoured: number;
  failed: number;
  rttMs: SimulationStats["latencyMs"];
  simulatorCpuShare: number;
}

function windowOf(a: SimulationStats, b: SimulationStats, cpuA: number, cpuB: number): Window {
  const wall = (b.elapsedMs - a.elapsedMs) / 1000;
  const byStatus: Record<string, number> = {};
  for (const [k, v] of Object.entries(b.batches.byStatus)) byStatus[k] = v - (a.batches.byStatus[k] ?? 0);
  const ok = b.batches.ok - a.batches.ok;
  return {
    offeredPerSec: Math.round((b.generated - a.generated) / wall),
    storedPerSec: Math.round((b.acked - a.acked) / wall),
    recordsPerBatch: +((b.acked - a.acked) / Math.max(1, ok)).toFixed(1),
    collectorCpuShare: +((cpuB - cpuA) / wall).toFixed(3),
    byStatus,
    retryAfterHonoured: b.retryAfterHonoured - a.retryAfterHonoured,
    failed: b.batches.failed - a.batches.failed,
    rttMs: b.latencyMs,
    simulatorCpuShare: +((b.cpuMs - a.cpuMs) / 1000 / wall).toFixed(2),
  };
}

async function withCollector<T>(o: OverloadOptions, maxIngestInFlight: number, run: (c: CollectorProcess) => Promise<T>): Promise<T & { limit: string }> {
  const dir = fs.mkdtempSync(join(tmpdir(), "ep-overload-"));
  // Every emulated agent comes from 127.0.0.1: the per-source cap (docs/security.md) is lifted to
  // the simulator's requests in flight, so admission, not the one-address guard, sheds here.
  const c = await startCollectorProcess(dir, "overload", o.port ?? 0, [
    `auth: { sharedToken: "${TOKEN}", apiTokens: { noc: { token: "${VIEWER}" } } }`,
    `store: { path: "${join(dir, "c.db")}" }`,
    `limits: { maxBodyBytes: 4MiB, maxIngestInFlight: ${maxIngestInFlight}, maxInFlightPerSource: ${(o.concurrency ?? 256) + 64} }`,
    "",
  ].join("\n"));
  const limit = limitCpu(c.child.pid!, o.cores);
  try {
    return { ...(await run(c)), limit: `${limit.method} ${limit.cores} core` };
  } finally {
    await c.stop();
    limit.release();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Start the simulator at `perSec` records/s offered; resolve the window's figures. */
async function feed(o: OverloadOptions, c: CollectorProcess, perSec: number, signal: AbortSignal, speedGiven?: number) {
  const speed = speedGiven ?? perSec / (o.agents * recordsPerAgentSecond(o.probes));
  const sim = startSimulation({
    agents: o.agents, collectors: [c.url], token: TOKEN, probesPerAgent: o.probes, behaviour: { ...CALM, speed },
    concurrency: o.concurrency ?? 256, requestTimeoutMs: 30_000, backoffMs: { initial: 250, max: 5000 }, signal,
  });
  return { sim, speed };
}

/** Phase 1: capacity with shedding out of the way. */
async function capacity(o: OverloadOptions) {
  let offer = o.capacityOffer;
  for (let attempt = 0; ; attempt++) {
    const r = await withCollector(o, 100_000, async (c) => {
      const ac = new AbortController();
      const { sim, speed } = await feed(o, c, offer, ac.signal);
      try {
        await sleep(o.warmMs);
        const a = sim.stats(), cpuA = cpuSeconds(c.child.pid!);
        await sleep(o.measureMs);
        const b = sim.stats(), cpuB = cpuSeconds(c.child.pid!);
        return { speed: +speed.toFixed(2), ...windowOf(a, b, cpuA, cpuB), rssMiB: rssMiB(c.child.pid!) };
      } finally {
        await sim.stop();
        ac.abort();
      }
    });
    o.log?.(`capacity attempt ${attempt + 1}: offered ${r.offeredPerSec}/s, stored ${r.storedPerSec}/s, collector ${r.collectorCpuShare} core (${r.limit})`);
    if (r.storedPerSec < 0.9 * r.offeredPerSec || attempt >= 2) return r;
    offer *= 2;
  }
}

/** Run the three phases; figures only (the caller judges them). */
export async function overloadAtTwice(o: OverloadOptions) {
  const cap = o.knownCapacity ? { storedPerSec: o.knownCapacity, given: true } : await capacity(o);
  const C = cap.storedPerSec;
  const twice = await withCollector(o, o.maxIngestInFlight, async (c) => {
    const ac = new AbortController();
    // The capacity phase's measured records per unit of speed (agent-start and state records on
    // top of the probe results) sets the speed for 2 × C, rather than the nominal probe rate.
    const measured = "speed" in cap && cap.offeredPerSec > 0 ? (cap.speed * 2 * C) / cap.offeredPerSec : undefined;
    const { sim, speed } = await feed(o, c, 2 * C, ac.signal, measured);
    try {
      await sleep(o.warmMs);
      const a = sim.stats(), cpuA = cpuSeconds(c.child.pid!);
      const samples = o.apiSamples ?? 60;
      const api = sampleApi(c.url, samples, Math.floor(o.measureMs / samples));
      await sleep(o.measureMs);
      const b = sim.stats(), cpuB = cpuSeconds(c.child.pid!);
      const w = windowOf(a, b, cpuA, cpuB);
      const fleetApi = await api;
      const rss = rssMiB(c.child.pid!);
      // The load drops: no new records; what the spools hold goes to the collector.
      const backlog = b.pending;
      const t = performance.now();
      const end = await sim.drain(AbortSignal.timeout(o.drainTimeoutMs));
      const drainMs = Math.round(performance.now() - t);
      const m = await metrics(c.url);
      // The same fleet-API request once the collector is idle again (every node loaded), for comparison.
      const idle = await sampleApi(c.url, 20, 100);
      return {
        speed: +speed.toFixed(2), ...w, storedVsCapacity: +(w.storedPerSec / C).toFixed(2), fleetApiMs: fleetApi, fleetApiIdleMs: idle, rssMiB: rss,
        drain: {
          backlogRecords: backlog, ms: drainMs, pending: end.pending, generated: end.generated, acked: end.acked, dropped: end.dropped,
          collectorStored: m.records, collectorDuplicates: m.duplicates, collectorBatches: m.batches,
          simulatorByStatus: end.batches.byStatus, retryAfterHonoured: end.retryAfterHonoured, failed: end.batches.failed,
        },
      };
    } finally {
      await sim.stop();
      ac.abort();
    }
  });
  o.log?.(`twice: offered ${twice.offeredPerSec}/s, stored ${twice.storedPerSec}/s = ${twice.storedVsCapacity} C; fleet API p99 ${twice.fleetApiMs.p99} ms (idle after: ${twice.fleetApiIdleMs.p99} ms); drain ${twice.drain.ms} ms`);
  return { cores: o.cores, agents: o.agents, probesPerAgent: o.probes, measuredSec: o.measureMs / 1000, capacity: cap, twice };
}
