/**
 * @module A collector restart under a whole fleet: how long until every agent is accepted again.
 * One SQLite collector process is fed by the fleet simulator in this process (the uplink's
 * backoff: 500 ms doubling to 30 s, equal jitter, at least Retry-After); once every agent has
 * joined, the collector is stopped (SIGTERM, or SIGKILL with `crash`), stays down `outageMs`
 * while every agent's sends fail and its backoff grows, and starts again on the same port and
 * database. Measured from the moment it listens again: agents with a batch accepted (10 %, 50 %,
 * 90 %, all), sends refused (503 shed, 429) and failed, agents waiting out a backoff, the
 * collector's CPU.
 *
 * `bun bench/fleet/restart.ts [--agents 10000] [--outage 60s] [--crash]`; figures in
 * docs/fleet-simulator.md ("After a collector restart"). tests/fleet/restart_converge_test.ts runs
 * it with the bound the docs derive.
 */
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSimulation } from "../../simulate/mod.ts";
import { cpuSeconds, freePort, startCollectorProcess, type CollectorProcess } from "./_proc.ts";

export interface RestartOptions {
  readonly agents: number;
  /** How long the collector stays down. */
  readonly outageMs: number;
  /** SIGKILL instead of SIGTERM. @default false */
  readonly crash?: boolean;
  /** Steady running before the stop, after every agent joined. @default 5000 */
  readonly steadyMs?: number;
  /** Give up on convergence after this long. @default 120000 */
  readonly convergeTimeoutMs?: number;
  /** Give up on the first join after this long. @default 60000 */
  readonly joinTimeoutMs?: number;
  /** The simulator's requests in flight. @default 256 (its default) */
  readonly concurrency?: number;
  /** The uplink's backoff. @default 500 / 30000 (telemetry.backoff defaults) */
  readonly backoffMs?: { readonly initial: number; readonly max: number };
  /** The collector's limits.maxIngestInFlight (a smaller one sheds sooner). @default 512 (its default) */
  readonly maxIngestInFlight?: number;
  readonly log?: (line: string) => void;
}

export interface RestartResult {
  readonly agents: number;
  readonly outageMs: number;
  /** From the simulator's start until every agent had a batch accepted. */
  readonly joinMs: number;
  /** Sends that failed while the collector was down. */
  readonly failedDuringOutage: number;
  /** Agents waiting out a backoff when the collector listened again. */
  readonly backingOffAtRestart: number;
  /** From the collector listening again until this share of agents had a batch accepted. */
  readonly convergeMs: { readonly p10: number; readonly p50: number; readonly p90: number; readonly all: number | undefined };
  /** Answers after the restart, by status ("503" is a shed). */
  readonly afterRestart: Readonly<Record<string, number>>;
  /** Most agents waiting out a backoff at once after the restart (sampled every 250 ms). */
  readonly maxBackingOff: number;
  /** Collector CPU seconds from the restart until every agent was accepted. */
  readonly collectorCpuS: number;
  /** Records still spooled across the fleet when every agent was accepted. */
  readonly pendingAtConverge: number;
}

const TOKEN = "restart-bench-token-0123456789abcdef";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function measureRestart(o: RestartOptions): Promise<RestartResult> {
  const log = o.log ?? (() => {});
  const dir = fs.mkdtempSync(join(tmpdir(), "edgeprobe-restart-"));
  const port = await freePort();
  // Every emulated agent shares 127.0.0.1: the per-source cap is lifted, as for the browser tests.
  const yaml = `auth: { sharedToken: "${TOKEN}" }\nstore: { path: "${join(dir, "c.db")}", raw: false }\n` +
    `limits: { maxNodes: ${o.agents + 100}, maxInFlightPerSource: 100000${o.maxIngestInFlight ? `, maxIngestInFlight: ${o.maxIngestInFlight}` : ""} }\n`;
  let col: CollectorProcess | undefined = await startCollectorProcess(dir, "restart-1", port, yaml);
  const ac = new AbortController();
  // Calm: no silences, so every agent must come back (a silent one would be waited for in vain).
  const sim = startSimulation({
    agents: o.agents, collectors: [col.url], token: TOKEN, concurrency: o.concurrency, backoffMs: o.backoffMs,
    behaviour: { failRate: 0, episodesPerProbeHour: 0, peerRestartsPerProbeHour: 0, silencesPerAgentHour: 0 },
    signal: ac.signal,
  });
  try {
    const t0 = performance.now();
    let lastJoinLog = 0;
    while (sim.stats().joined < o.agents) {
      const ms = performance.now() - t0;
      if (ms > (o.joinTimeoutMs ?? 60_000)) throw new Error(`Cannot measure a restart: ${sim.stats().joined} of ${o.agents} agents joined in ${o.joinTimeoutMs ?? 60_000} ms`);
      if (ms - lastJoinLog >= 2000) {
        lastJoinLog = ms;
        const s = sim.stats();
        log(`join +${(ms / 1000).toFixed(1)} s: ${s.joined} joined, ${s.backingOff} backing off, ${JSON.stringify(s.batches.byStatus)}`);
      }
      await sleep(100);
    }
    const joinMs = Math.round(performance.now() - t0);
    log(`all ${o.agents} agents joined in ${joinMs} ms`);
    await sleep(o.steadyMs ?? 5000);
    const before = sim.stats().batches.failed;
    if (o.crash) {
      col.child.kill("SIGKILL");
      await new Promise((r) => col!.child.once("exit", r));
    } else await col.stop();
    col = undefined;
    log(`collector ${o.crash ? "killed" : "stopped"}; down for ${o.outageMs} ms`);
    await sleep(o.outageMs);
    const downStats = sim.stats();
    // Counted from the spawn (nothing can be accepted before it), timed from listening.
    const spawned = Date.now();
    col = await startCollectorProcess(dir, "restart-2", port, yaml);
    const tr = Date.now();
    const cpu0 = cpuSeconds(col.child.pid!);
    const status0 = { ...sim.stats().batches.byStatus };
    const backingOffAtRestart = sim.stats().backingOff;
    log(`collector listening again ${tr - spawned} ms after its start; ${backingOffAtRestart} agents backing off, ${downStats.batches.failed - before} sends failed while down`);
    const marks: { p10?: number; p50?: number; p90?: number; all?: number } = {};
    let maxBackingOff = 0;
    const limit = o.convergeTimeoutMs ?? 120_000;
    let lastLog = 0;
    while (Date.now() - tr < limit) {
      const n = sim.ackedSince(spawned);
      const ms = Date.now() - tr;
      if (marks.p10 === undefined && n >= o.agents * 0.1) marks.p10 = ms;
      if (marks.p50 === undefined && n >= o.agents * 0.5) marks.p50 = ms;
      if (marks.p90 === undefined && n >= o.agents * 0.9) marks.p90 = ms;
      const s = sim.stats();
      maxBackingOff = Math.max(maxBackingOff, s.backingOff);
      if (ms - lastLog >= 2000) {
        lastLog = ms;
        log(`+${(ms / 1000).toFixed(1)} s: ${n} accepted again, ${s.backingOff} backing off, ${s.inFlight} in flight, ${s.queued} queued, ${JSON.stringify(s.batches.byStatus)}`);
      }
      if (n >= o.agents) {
        marks.all = ms;
        break;
      }
      await sleep(250);
    }
    const end = sim.stats();
    const afterRestart: Record<string, number> = {};
    for (const [k, v] of Object.entries(end.batches.byStatus)) if (v - (status0[k] ?? 0) > 0) afterRestart[k] = v - (status0[k] ?? 0);
    return {
      agents: o.agents, outageMs: o.outageMs, joinMs,
      failedDuringOutage: downStats.batches.failed - before,
      backingOffAtRestart,
      convergeMs: { p10: marks.p10 ?? NaN, p50: marks.p50 ?? NaN, p90: marks.p90 ?? NaN, all: marks.all },
      afterRestart, maxBackingOff,
      collectorCpuS: +(cpuSeconds(col.child.pid!) - cpu0).toFixed(2),
      pendingAtConverge: end.pending,
    };
  } finally {
    await sim.stop();
    ac.abort();
    await col?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const arg = (k: string) => {
    const i = process.argv.indexOf(`--${k}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const dur = (v: string | undefined, d: number) => (v === undefined ? d : /s$/.test(v) ? Number(v.slice(0, -1)) * 1000 : Number(v));
  const r = await measureRestart({
    agents: Number(arg("agents") ?? 10_000),
    outageMs: dur(arg("outage"), 60_000),
    crash: process.argv.includes("--crash"),
    joinTimeoutMs: dur(arg("join-timeout"), 60_000),
    concurrency: arg("concurrency") ? Number(arg("concurrency")) : undefined,
    maxIngestInFlight: arg("max-in-flight") ? Number(arg("max-in-flight")) : undefined,
    log: (l) => console.log(`${new Date().toISOString().slice(11, 19)} ${l}`),
  });
  console.log(JSON.stringify(r, null, 2));
}
