/**
 * @module Overload at twice capacity, measurable on a small machine: one SQLite collector process
 * held to a fraction of a core (bench/fleet/cpu_limit.ts), fed by the fleet simulator in this
 * process.
 *
 * 1. Capacity C: the collector with exactly `maxIngestInFlight` batches in flight (the simulator
 *    runs that many requests, so nothing is shed and the collector is never short of work), is
 *    offered more than it takes while the fleet API is read as in phase 2; C = records stored per
 *    second over whole group-commit cycles (wholeCycleRate), with its CPU at the limit. If it
 *    stored nearly all it was offered, the offer is doubled and the phase run again. Measured this
 *    way, C is what the collector as configured can store, and phase 2 differs from phase 1 only
 *    by the excess offered (docs/scale-out.md has why: with 256 batches queued instead, group
 *    commit wrote larger transactions and C was 1.5 × what 32 admitted batches allowed).
 * 2. Twice C: a fresh collector, the same limit, shedding on (`maxIngestInFlight`), offered 2 × C
 *    with `concurrency` requests in flight. Measured: records stored per second (against C, the
 *    same way), batches shed (503) and refused by the per-source cap (429), every refusal carrying
 *    a Retry-After the agents waited for, request timeouts, and the fleet API's answer times from
 *    another process.
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
  /**
   * The simulator's requests in flight in the twice-capacity phase (above `maxIngestInFlight`, so
   * the excess is shed). The capacity phase runs with exactly `maxIngestInFlight` in flight.
   * @default 512
   */
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

/**
 * The records stored per second over whole service cycles. Acks come in bursts: a group commit
 * answers every batch of its transaction at once (collector/sqlite/group_commit.ts), and at a
 * tenth of a core with 256 batches queued one cycle measured 2.3-2.5 s (128,000 records), so a
 * 6 s window held two or three bursts and the plain window rate moved by a third between runs.
 * Counted from the last quiet sample before the first burst to the last quiet sample before the
 * last burst, the window spans whole cycles and every burst in it is counted whole. Where no
 * sample is quiet (a steady stream of acks) it is the plain window rate.
 */
export function wholeCycleRate(samples: readonly { t: number; acked: number }[]): number {
  const n = samples.length;
  if (n < 2) return 0;
  const plain = (samples[n - 1].acked - samples[0].acked) / ((samples[n - 1].t - samples[0].t) / 1000);
  // A burst starts at sample k when k-1 was quiet (no acks since k-2) and k has acks.
  const starts: number[] = [];
  for (let k = 2; k < n; k++) {
    if (samples[k - 1].acked === samples[k - 2].acked && samples[k].acked > samples[k - 1].acked) starts.push(k - 1);
  }
  if (starts.length < 2) return plain;
  const a = samples[starts[0]], b = samples[starts[starts.length - 1]];
  // At least half the window, or the estimate rests on too few cycles: the plain rate then.
  if (b.t - a.t < (samples[n - 1].t - samples[0].t) / 2) return plain;
  return (b.acked - a.acked) / ((b.t - a.t) / 1000);
}

/**
 * Sleep `ms` while sampling every 100 ms: records acknowledged (for wholeCycleRate), and per
 * 500 ms the collector's CPU share against its limit (a step under 70 % of the limit counts as
 * idle: CPU to spare and nothing to do), the simulator's requests in flight and the agents
 * backing off, so a low figure tells idle (too little offered at that moment) from busy (CPU
 * spent elsewhere than storing).
 */
async function sampled(sim: { stats(): SimulationStats }, pid: number, cores: number, ms: number) {
  const samples: { t: number; acked: number }[] = [];
  const steps: { cpu: number; stored: number; inFlight: number; backingOff: number }[] = [];
  const t0 = performance.now();
  let cpu = cpuSeconds(pid), t = t0, acked = sim.stats().acked;
  samples.push({ t, acked });
  for (let k = 1; performance.now() < t0 + ms; k++) {
    await sleep(Math.max(0, Math.min(t0 + k * 100, t0 + ms) - performance.now()));
    const s = sim.stats(), n = performance.now();
    samples.push({ t: n, acked: s.acked });
    if (k % 5 !== 0) continue;
    const c = cpuSeconds(pid), dt = (n - t) / 1000;
    steps.push({ cpu: (c - cpu) / dt, stored: (s.acked - acked) / dt, inFlight: s.inFlight, backingOff: s.backingOff });
    cpu = c, t = n, acked = s.acked;
  }
  const mean = (f: (x: (typeof steps)[number]) => number) => +(steps.reduce((a, x) => a + f(x), 0) / Math.max(1, steps.length)).toFixed(2);
  return {
    storedPerSecWholeCycles: Math.round(wholeCycleRate(samples)),
    steps: steps.length,
    idleSteps: steps.filter((x) => x.cpu < 0.7 * cores).length,
    meanCpu: mean((x) => x.cpu), meanInFlight: mean((x) => x.inFlight), meanBackingOff: mean((x) => x.backingOff),
    /** Thousands of records stored per second in each 500 ms step. */
    storedPerStep: steps.map((x) => Math.round(x.stored / 1000)),
  };
}

interface Window {
  offeredPerSec: number;
  /** Records the simulator counted as produced in the window (see offeredOf). */
  generatedPerSec: number;
  storedPerSec: number;
  recordsPerBatch: number;
  collectorCpuShare: number;
  byStatus: Record<string, number>;
  retryAfterHonoured: number;
  failed: number;
  rttMs: SimulationStats["latencyMs"];
  simulatorCpuShare: number;
}

/**
 * Records/s the fleet produces at `speed` (calm: no silences, so every agent runs every probe).
 * Taken as the offered load: the simulator counts a record when it next visits its agent, so an
 * agent waiting on an answer or a Retry-After produces in arrears and the counted rate over a few
 * seconds swings with the waits (a 6 s window counted 1.68 × C at a nominal 2 × C).
 */
function offeredOf(o: OverloadOptions, speed: number): number {
  return Math.round(speed * o.agents * recordsPerAgentSecond(o.probes));
}

function windowOf(a: SimulationStats, b: SimulationStats, cpuA: number, cpuB: number, offered: number): Window {
  const wall = (b.elapsedMs - a.elapsedMs) / 1000;
  const byStatus: Record<string, number> = {};
  for (const [k, v] of Object.entries(b.batches.byStatus)) byStatus[k] = v - (a.batches.byStatus[k] ?? 0);
  const ok = b.batches.ok - a.batches.ok;
  return {
    offeredPerSec: offered,
    generatedPerSec: Math.round((b.generated - a.generated) / wall),
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
    `limits: { maxBodyBytes: 4MiB, maxIngestInFlight: ${maxIngestInFlight}, maxInFlightPerSource: ${Math.max(o.concurrency ?? 512, o.maxIngestInFlight) + 64} }`,
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
async function feed(o: OverloadOptions, c: CollectorProcess, perSec: number, concurrency: number, signal: AbortSignal) {
  const speed = perSec / (o.agents * recordsPerAgentSecond(o.probes));
  const sim = startSimulation({
    agents: o.agents, collectors: [c.url], token: TOKEN, probesPerAgent: o.probes, behaviour: { ...CALM, speed },
    concurrency, requestTimeoutMs: 30_000, backoffMs: { initial: 250, max: 5000 }, signal,
  });
  return { sim, speed };
}

/**
 * One measured window of a running feed, the same in both phases: warm up, then sample the fleet
 * API and the stored-records timeline side by side for measureMs. `api` resolves on its own.
 */
async function measured(o: OverloadOptions, sim: ReturnType<typeof startSimulation>, c: CollectorProcess, speed: number) {
  await sleep(o.warmMs);
  const a = sim.stats(), cpuA = cpuSeconds(c.child.pid!);
  const samples = o.apiSamples ?? 60;
  const api = sampleApi(c.url, samples, Math.floor(o.measureMs / samples));
  const timeline = await sampled(sim, c.child.pid!, o.cores, o.measureMs);
  const b = sim.stats(), cpuB = cpuSeconds(c.child.pid!);
  return { w: windowOf(a, b, cpuA, cpuB, offeredOf(o, speed)), timeline, api, end: b };
}

/** Phase 1: capacity with shedding out of the way. */
async function capacity(o: OverloadOptions) {
  let offer = o.capacityOffer;
  for (let attempt = 0; ; attempt++) {
    const r = await withCollector(o, 100_000, async (c) => {
      const ac = new AbortController();
      const { sim, speed } = await feed(o, c, offer, o.maxIngestInFlight, ac.signal);
      try {
        // The same fleet-API reads as in phase 2: C is what the collector stores while answering them.
        const { w, timeline, api } = await measured(o, sim, c, speed);
        return { speed: +speed.toFixed(2), ...w, storedPerSec: timeline.storedPerSecWholeCycles, windowStoredPerSec: w.storedPerSec, timeline, fleetApiMs: await api, rssMiB: rssMiB(c.child.pid!) };
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
    const { sim, speed } = await feed(o, c, 2 * C, o.concurrency ?? 512, ac.signal);
    try {
      const { w: inWindow, timeline, api, end: b } = await measured(o, sim, c, speed);
      const w = { ...inWindow, storedPerSec: timeline.storedPerSecWholeCycles };
      const windowStoredPerSec = inWindow.storedPerSec;
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
        speed: +speed.toFixed(2), ...w, windowStoredPerSec, timeline, storedVsCapacity: +(w.storedPerSec / C).toFixed(2), fleetApiMs: fleetApi, fleetApiIdleMs: idle, rssMiB: rss,
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
