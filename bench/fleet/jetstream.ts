/**
 * bench:fleet section "jetstream": 1, 2 and 3 collector processes on one JetStream node (R1,
 * 16 partitions) fed by the fleet simulator (agent i sends to collector i % n, failing over to the
 * next). Reported per case: records acknowledged per wall second over the measured window and
 * the cluster's CPU per record (collectors + nats-server, from /proc), and the ratio to one
 * collector's. With fewer cores than collectors the records/s of n collectors with a core each
 * is estimated as n / that ratio (docs/scale-out.md). A fourth case runs one collector with a
 * third of the agents (the load each of 3 collectors takes).
 */
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSimulation, type SimulationStats } from "../../simulate/mod.ts";
import { freePorts, startNats } from "../../tests/nats/_nats.ts";
import { cpuSeconds, rssMiB, startCollectorProcess } from "./_proc.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CALM = { failRate: 0, episodesPerProbeHour: 0, peerRestartsPerProbeHour: 0, silencesPerAgentHour: 0 };

export async function jetstreamScaleOut(token: string, quick: boolean): Promise<Record<string, unknown>[]> {
  const sim = { agents: quick ? 1000 : 2000, probes: 10, speed: 4 };
  const warmMs = 6000, measureMs = quick ? 8000 : 12_000;
  const out: Record<string, unknown>[] = [];
  // The last case gives one collector the load each of 3 gets (a third of the agents): the
  // cluster's CPU per record at the same load per collector, which separates what the cluster
  // duplicates from what a less busy process pays per record (fewer messages per wake-up).
  const shapes = [{ n: 1, agents: sim.agents }, { n: 2, agents: sim.agents }, { n: 3, agents: sim.agents }, { n: 1, agents: Math.round(sim.agents / 3), third: true }]
    // BENCH_SHAPES=1,3 runs only those collector counts (profiling).
    .filter((c) => !process.env.BENCH_SHAPES || process.env.BENCH_SHAPES.split(",").map(Number).includes(c.n));
  for (const { n, agents, third } of shapes) {
    const dir = fs.mkdtempSync(join(tmpdir(), "ep-bench-fleet-js-"));
    const [natsPort] = await freePorts(1);
    const nats = await startNats(dir, natsPort);
    const collectors = [];
    const ac = new AbortController();
    try {
      for (let k = 0; k < n; k++) {
        collectors.push(await startCollectorProcess(dir, `n${n}${third ? "t" : ""}-c${k + 1}`, 0, `auth: { sharedToken: "${token}" }\nstore: { kind: jetstream, servers: ["${nats.url}"], collectorId: c${k + 1} }\nlimits: { maxBodyBytes: 4MiB }\n`));
      }
      await sleep(2500); // leases settle: each collector holds its share of the partitions
      const s = startSimulation({ agents, collectors: collectors.map((c) => c.url), token, probesPerAgent: sim.probes, behaviour: { ...CALM, speed: sim.speed }, concurrency: 256, signal: ac.signal });
      await sleep(warmMs);
      const pids = [...collectors.map((c) => c.child.pid!), nats.child.pid!];
      const a: SimulationStats = s.stats();
      const cpuA = pids.map(cpuSeconds);
      await sleep(measureMs);
      const b: SimulationStats = s.stats();
      const cpuB = pids.map(cpuSeconds);
      const rss = collectors.map((c) => rssMiB(c.child.pid!));
      await s.stop();
      const wall = (b.elapsedMs - a.elapsedMs) / 1000;
      const records = b.acked - a.acked;
      const cpu = cpuB.map((x, i) => x - cpuA[i]);
      const collectorCpu = cpu.slice(0, n).reduce((x, y) => x + y, 0);
      const total = collectorCpu + cpu[n];
      out.push({
        case: `${n} collector${n > 1 ? "s" : ""}, JetStream R1${third ? ", a third of the agents" : ""}`, agents, probesPerAgent: sim.probes, speed: sim.speed, measuredSec: +wall.toFixed(1),
        offeredPerSec: Math.round((b.generated - a.generated) / wall), recordsPerSec: Math.round(records / wall),
        collectorCpuSec: +collectorCpu.toFixed(2), natsCpuSec: +cpu[n].toFixed(2),
        clusterUsPerRecord: +(total * 1e6 / Math.max(1, records)).toFixed(2), collectorUsPerRecord: +(collectorCpu * 1e6 / Math.max(1, records)).toFixed(2),
        collectorRssMiB: rss, backlogAtEnd: b.pending, failedSends: b.batches.failed - a.batches.failed,
      });
    } finally {
      ac.abort();
      // All at once: one by one, each stop handed its partitions to the others, which replayed them
      // from the stream (outside the measured window, but in the collectors' profiles and owner logs).
      await Promise.all(collectors.map((c) => c.stop()));
      await nats.stop("SIGTERM");
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  type Case = { case: string; clusterUsPerRecord: number; collectorUsPerRecord: number; cpuPerRecordVsOne?: number; collectorCpuPerRecordVsOne?: number; cpuPerRecordVsOneAtThirdLoad?: number };
  const one = (out as Case[]).find((c) => c.case === "1 collector, JetStream R1");
  const third = (out as Case[]).find((c) => c.case.endsWith("a third of the agents"));
  for (const c of out as Case[]) {
    if (one) c.cpuPerRecordVsOne = +(c.clusterUsPerRecord / one.clusterUsPerRecord).toFixed(2);
    if (one) c.collectorCpuPerRecordVsOne = +(c.collectorUsPerRecord / one.collectorUsPerRecord).toFixed(2);
    if (third && c.case.startsWith("3 collectors")) c.cpuPerRecordVsOneAtThirdLoad = +(c.clusterUsPerRecord / third.clusterUsPerRecord).toFixed(2);
  }
  return out;
}
