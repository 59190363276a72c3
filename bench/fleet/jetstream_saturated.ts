/**
 * @module Scale-out at saturation on a machine with fewer cores than collectors: 1 and then 3
 * JetStream collector processes (R1, 16 partitions, each collector holding its share), **each held
 * to the same CPU quota** (bench/fleet/cpu_limit.ts: cgroup CPU bandwidth, else a SIGSTOP duty
 * cycle), nats-server and the simulator unlimited. The simulator offers well above 3 times what
 * one limited collector stores; admission sheds the rest with 503 + Retry-After and the agents'
 * spools hold it. Measured over a steady window per case: records stored (acknowledged) per
 * second, each collector's CPU share (it should sit at the quota, else the case was not
 * saturated), and the cluster's CPU per record (collectors + nats-server, /proc). Printed: the
 * records/s ratio 3 vs 1 (goal ≥ 2.4×) and the CPU-per-record ratio (goal ≤ 1.25×); docs/scale-out.md.
 *
 *   flock /tmp/edgeprobe-heavy.lock bun bench/fleet/jetstream_saturated.ts [--cores 0.25] [--offer 20000]
 */
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSimulation, type SimulationStats } from "../../simulate/mod.ts";
import { probesOf } from "../../simulate/probe_mix.ts";
import { freePorts, startNats } from "../../tests/nats/_nats.ts";
import { connect } from "@nats-io/transport-node";
import { Kvm } from "@nats-io/kv";
import { cpuSeconds, rssMiB, startCollectorProcess, type CollectorProcess } from "./_proc.ts";
import { type CpuLimit, limitCpu } from "./cpu_limit.ts";

const TOKEN = "bench-jssat-token-0123456789abcdef";
const CALM = { failRate: 0, episodesPerProbeHour: 0, peerRestartsPerProbeHour: 0, silencesPerAgentHour: 0 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface SaturatedOptions {
  /** Each collector's CPU quota in cores. */
  readonly cores: number;
  /** Records/s the simulator offers in both cases (well above 3 × one limited collector). */
  readonly offer: number;
  readonly agents: number;
  readonly probes: number;
  readonly warmMs: number;
  readonly measureMs: number;
  /** Simulator requests in flight; each collector sheds above `maxIngestInFlight`. */
  readonly concurrency: number;
  readonly maxIngestInFlight: number;
  /** `store.balance` of every collector (docs/scale-out.md "Seventh pass"). @default the config's default */
  readonly balance?: "spread" | "pack";
}

export async function saturatedCase(n: number, o: SaturatedOptions) {
  const dir = fs.mkdtempSync(join(tmpdir(), "ep-bench-jssat-"));
  const [natsPort] = await freePorts(1);
  const nats = await startNats(dir, natsPort);
  const collectors: CollectorProcess[] = [];
  const limits: CpuLimit[] = [];
  const ac = new AbortController();
  // Steering (collectors advertise their URLs) unless BENCH_STEER=0; the port is then chosen first.
  const steer = process.env.BENCH_STEER !== "0";
  const ports = steer ? await freePorts(n) : Array(n).fill(0);
  try {
    for (let k = 0; k < n; k++) {
      // Every emulated agent comes from 127.0.0.1: the per-source cap is lifted above the
      // simulator's requests in flight, so admission (maxIngestInFlight), not the one-address
      // guard, sheds here (docs/security.md).
      const c = await startCollectorProcess(dir, `c${k + 1}`, ports[k], [
        `auth: { sharedToken: "${TOKEN}" }`,
        `store: { kind: jetstream, servers: ["${nats.url}"], collectorId: c${k + 1}${steer ? `, advertise: "http://127.0.0.1:${ports[k]}"` : ""}${o.balance ? `, balance: ${o.balance}` : ""} }`,
        `limits: { maxBodyBytes: 4MiB, maxIngestInFlight: ${o.maxIngestInFlight}, maxInFlightPerSource: ${o.concurrency + 64} }`,
        "",
      ].join("\n"));
      collectors.push(c);
      limits.push(limitCpu(c.child.pid!, o.cores));
    }
    await sleep(3000); // leases settle: each collector holds its share of the partitions
    const speed = o.offer / (o.agents * probesOf(o.probes).reduce((s, p) => s + 1000 / p.intervalMs, 0));
    const s = startSimulation({
      agents: o.agents, collectors: collectors.map((c) => c.url), token: TOKEN, probesPerAgent: o.probes, behaviour: { ...CALM, speed },
      concurrency: o.concurrency, requestTimeoutMs: 30_000, backoffMs: { initial: 250, max: 5000 }, signal: ac.signal,
    });
    await sleep(o.warmMs);
    const pids = [...collectors.map((c) => c.child.pid!), nats.child.pid!];
    const a: SimulationStats = s.stats();
    const cpuA = pids.map(cpuSeconds);
    await sleep(o.measureMs);
    const b: SimulationStats = s.stats();
    const cpuB = pids.map(cpuSeconds);
    const rss = collectors.map((c) => rssMiB(c.child.pid!));
    // Partitions per collector (lease owners) at the end of the window.
    const partitionsAtEnd: Record<string, number> = {};
    const nc = await connect({ servers: [nats.url] });
    try {
      const kv = await new Kvm(nc).open("edgeprobe_leases");
      for (let p = 0; p < 16; p++) {
        const e = await kv.get(`p.${p}`).catch(() => null);
        const owner = e && e.operation === "PUT" ? JSON.parse(e.string()).owner as string : "-";
        partitionsAtEnd[owner] = (partitionsAtEnd[owner] ?? 0) + 1;
      }
    } finally {
      await nc.close();
    }
    await s.stop();
    const wall = (b.elapsedMs - a.elapsedMs) / 1000;
    const records = b.acked - a.acked;
    const cpu = cpuB.map((x, i) => x - cpuA[i]);
    const collectorCpu = cpu.slice(0, n).reduce((x, y) => x + y, 0);
    const byStatus: Record<string, number> = {};
    for (const [k, v] of Object.entries(b.batches.byStatus)) byStatus[k] = v - (a.batches.byStatus[k] ?? 0);
    return {
      case: `${n} collector${n > 1 ? "s" : ""}, each ${o.cores} core`, quota: limits.map((l) => `${l.method} ${l.cores}`),
      measuredSec: +wall.toFixed(1), offeredPerSec: Math.round((b.generated - a.generated) / wall), recordsPerSec: Math.round(records / wall),
      collectorCoreShare: cpu.slice(0, n).map((x) => +(x / wall).toFixed(3)), natsCoreShare: +(cpu[n] / wall).toFixed(3),
      simulatorCoreShare: +((b.cpuMs - a.cpuMs) / 1000 / wall).toFixed(2),
      clusterUsPerRecord: +((collectorCpu + cpu[n]) * 1e6 / Math.max(1, records)).toFixed(2),
      collectorUsPerRecord: +(collectorCpu * 1e6 / Math.max(1, records)).toFixed(2),
      steer, steers: b.steers, batchesByStatus: byStatus, retryAfterHonoured: b.retryAfterHonoured - a.retryAfterHonoured, failedSends: b.batches.failed - a.batches.failed,
      spooledAtEnd: b.pending, droppedFromSpools: b.dropped, collectorRssMiB: rss, partitionsAtEnd,
    };
  } finally {
    ac.abort();
    for (const l of limits) l.release();
    // All at once (bench/fleet/jetstream.ts): one by one, each stop hands its partitions over.
    await Promise.all(collectors.map((c) => c.stop()));
    await nats.stop("SIGTERM");
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** 1 then 3 limited collectors at the same offer; figures and both ratios. */
export async function jetstreamSaturated(o: SaturatedOptions) {
  const one = await saturatedCase(1, o);
  console.log(JSON.stringify(one));
  const three = await saturatedCase(3, o);
  console.log(JSON.stringify(three));
  // Saturated: every collector used (nearly) its whole quota and the offer exceeded what was stored.
  const saturated = (c: typeof one) => c.collectorCoreShare.every((x) => x >= 0.9 * o.cores) && c.recordsPerSec < 0.8 * c.offeredPerSec;
  const recordsRatio = +(three.recordsPerSec / one.recordsPerSec).toFixed(2);
  const cpuRatio = +(three.clusterUsPerRecord / one.clusterUsPerRecord).toFixed(2);
  return {
    one, three, saturated: { one: saturated(one), three: saturated(three) },
    offerVsOneCapacity: +(three.offeredPerSec / one.recordsPerSec).toFixed(2),
    recordsPerSecRatio: recordsRatio, recordsGoalMet: recordsRatio >= 2.4,
    clusterCpuPerRecordRatio: cpuRatio, cpuGoalMet: cpuRatio <= 1.25,
    collectorCpuPerRecordRatio: +(three.collectorUsPerRecord / one.collectorUsPerRecord).toFixed(2),
  };
}

if (import.meta.main) {
  const arg = (name: string, d: number) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : d);
  const r = await jetstreamSaturated({
    cores: arg("--cores", 0.25), offer: arg("--offer", 20_000), agents: arg("--agents", 2000), probes: 10,
    warmMs: arg("--warm", 8000), measureMs: arg("--measure", 15_000), concurrency: 256, maxIngestInFlight: arg("--inflight", 32),
    balance: process.argv.includes("--balance") ? process.argv[process.argv.indexOf("--balance") + 1] as "spread" | "pack" : undefined,
  });
  console.log(JSON.stringify({ ...r, one: undefined, three: undefined }, null, 2));
  fs.mkdirSync(new URL("./../out/", import.meta.url), { recursive: true });
  fs.writeFileSync(new URL(`./../out/jetstream-saturated-${Date.now()}.json`, import.meta.url), JSON.stringify(r, null, 2) + "\n");
}
