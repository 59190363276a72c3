/**
 * bench:fleet — the fleet-scale figures, fed by the fleet simulator (docs/fleet-simulator.md).
 *
 *   npm run bench:fleet [-- --quick] [-- --only NAME] [-- --measure SECONDS]
 *
 * Sections run one after another and each adds its figures to bench/out/fleet.json; a section
 * is an entry of SECTIONS below (name, what it measures, run). Collectors listen on free ports.
 *
 * sqlite: one SQLite collector process fed over HTTP/1.1 by 10,000 emulated agents in this
 * process. "capacity": 30 probes per agent at 4x speed (~130,000 records/s offered, more than
 * one collector takes): records acknowledged per wall second over the measured window, the
 * collector's CPU seconds (from /proc) per record, its RSS. "steady": 10,000 agents × 10 probes
 * at their real intervals (~16,000 records/s): the collector's CPU share and RSS.
 * in-process: the ingest handler without a socket (decode, store, aggregate, ack) on CPU time.
 * retention: a year of daily rollups for 10,000 nodes; history and latency over long windows timed.
 * overload: the collector held to a quarter core (cgroup CPU quota), its capacity C measured, then
 * offered 2 × C: records stored per second against C, shedding, the fleet API's answer times, the
 * drain once the load drops, every record stored once (bench/fleet/overload.ts).
 * jetstream: 1, 2 and 3 JetStream collector processes on one nats-server, the same simulated
 * load: records/s and the cluster's CPU per record, each against one collector's
 * (bench/fleet/jetstream.ts; docs/scale-out.md).
 * dashboard: the fleet page in headless Chromium at 1,000 and 10,000 simulated agents (first
 * paint, a probe change on the page, the JS heap over 10 minutes): bench/fleet_dashboard.ts.
 */
import * as fs from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { runtimeVersion } from "../runtime/detect.ts";
import { startSimulation, type SimulationStats } from "../simulate/mod.ts";
import { cpuSeconds, rssMiB, startCollectorProcess } from "./fleet/_proc.ts";
import { inProcessIngest } from "./fleet/in_process.ts";
import { numberArg } from "./_number_arg.ts";
import { retentionQueries } from "./fleet/retention.ts";
import { overloadAtTwice } from "./fleet/overload.ts";
import { jetstreamScaleOut } from "./fleet/jetstream.ts";
import { dashboardSection, runDashboardBench } from "./fleet_dashboard.ts";

const quick = process.argv.includes("--quick");
const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined;
// The sqlite section's measured window (s): node writes come in bursts after each minute closes
// (collector/sqlite_store.ts), so a window of a minute or more sees them in their share.
const measureMs = process.argv.includes("--measure") ? numberArg("--measure", process.argv[process.argv.indexOf("--measure") + 1]) * 1000 : undefined;
const TOKEN = "bench-fleet-token-0123456789abcdef";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Section {
  readonly name: string;
  run(): Promise<Record<string, unknown>>;
}

const CALM = { failRate: 0, episodesPerProbeHour: 0, peerRestartsPerProbeHour: 0, silencesPerAgentHour: 0 };

/**
 * Feed one collector process from the simulator: `warmMs` to get past the first batches
 * (every agent's agent-start and first states), then measure over `measureMs`.
 */
async function feedOne(label: string, port: number, sim: { agents: number; probes: number; speed: number }, warmMs: number, measureMs: number) {
  const dir = fs.mkdtempSync(join(tmpdir(), "ep-bench-fleet-"));
  const c = await startCollectorProcess(dir, `sqlite-${label.split(":")[0]}`, port, `auth: { sharedToken: "${TOKEN}" }\nstore: { path: "${join(dir, "c.db")}" }\nlimits: { maxBodyBytes: 4MiB }\n`);
  const ac = new AbortController();
  try {
    const s = startSimulation({ agents: sim.agents, collectors: [c.url], token: TOKEN, probesPerAgent: sim.probes, behaviour: { ...CALM, speed: sim.speed }, concurrency: 256, signal: ac.signal });
    await sleep(warmMs);
    const a: SimulationStats = s.stats();
    const cpuA = cpuSeconds(c.child.pid!);
    await sleep(measureMs);
    const b: SimulationStats = s.stats();
    const cpuB = cpuSeconds(c.child.pid!);
    const rss = rssMiB(c.child.pid!);
    await s.stop();
    const wall = (b.elapsedMs - a.elapsedMs) / 1000;
    const records = b.acked - a.acked;
    const offered = b.generated - a.generated;
    const cpu = cpuB - cpuA;
    return {
      case: label, agents: sim.agents, probesPerAgent: sim.probes, speed: sim.speed, measuredSec: +wall.toFixed(1),
      offeredPerSec: Math.round(offered / wall), recordsPerSec: Math.round(records / wall),
      batchesPerSec: Math.round((b.batches.ok - a.batches.ok) / wall), recordsPerBatch: +(records / Math.max(1, b.batches.ok - a.batches.ok)).toFixed(1),
      collectorCpuShare: +(cpu / wall).toFixed(2), collectorUsPerRecord: +(cpu * 1e6 / Math.max(1, records)).toFixed(2),
      recordsPerCollectorCpuSec: Math.round(records / Math.max(cpu, 0.01)), collectorRssMiB: rss,
      backlogAtEnd: b.pending, failedSends: b.batches.failed - a.batches.failed, rttMs: b.latencyMs,
      simulatorCpuShare: +((b.cpuMs - a.cpuMs) / 1000 / wall).toFixed(2),
    };
  } finally {
    ac.abort();
    await c.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const SECTIONS: Section[] = [
  {
    name: "in-process",
    run: async () => ({ inProcess: [await inProcessIngest(quick ? 1000 : 2000, quick ? 3 : 6), await inProcessIngest(quick ? 300 : 600, quick ? 2 : 4, 60_000)] }),
  },
  {
    name: "retention",
    run: async () => ({ retention: await retentionQueries(quick ? 2000 : 10_000, 365, quick ? 100 : 500) }),
  },
  {
    name: "sqlite",
    run: async () => ({
      sqlite: [
        await feedOne("capacity: 10,000 agents × 30 probes at 4x", 0, { agents: 10_000, probes: 30, speed: 4 }, 8000, measureMs ?? (quick ? 8000 : 15_000)),
        await feedOne("steady: 10,000 agents × 10 probes", 0, { agents: 10_000, probes: 10, speed: 1 }, 8000, measureMs ?? (quick ? 8000 : 15_000)),
      ],
    }),
  },
  {
    // A quarter of a core for the collector, so the simulator (the other core) can offer twice it.
    name: "overload",
    run: async () => ({
      overload: await overloadAtTwice({
        cores: 0.25, agents: 2000, probes: 10, capacityOffer: 50_000, warmMs: quick ? 6000 : 8000, measureMs: quick ? 8000 : 15_000,
        drainTimeoutMs: 120_000, maxIngestInFlight: 32, log: (l) => console.error(`overload: ${l}`),
      }),
    }),
  },
  {
    name: "jetstream",
    run: async () => ({ jetstream: await jetstreamScaleOut(TOKEN, quick) }),
  },
  {
    name: "dashboard",
    run: async () => {
      const figs = await runDashboardBench({ sizes: quick ? [1000] : [1000, 10_000], heapMinutes: quick ? 0 : 10 });
      console.log(dashboardSection(figs));
      return { dashboard: figs };
    },
  },
];

if (import.meta.main) {
  const results: Record<string, unknown> = { runtime: runtimeVersion(), date: new Date().toISOString(), cpus: cpus().length, loadavgAtStart: loadavg().map((x) => +x.toFixed(2)) };
  for (const s of SECTIONS) {
    if (only && s.name !== only) continue;
    Object.assign(results, await s.run());
  }
  console.log(JSON.stringify(results, null, 2));
  fs.mkdirSync(new URL("./out/", import.meta.url), { recursive: true });
  fs.writeFileSync(new URL(`./out/fleet${only ? `-${only}` : ""}.json`, import.meta.url), JSON.stringify(results, null, 2) + "\n");
  process.exit(0);
}
