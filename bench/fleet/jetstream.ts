/**
 * bench:fleet section "jetstream": 1, 2 and 3 collector processes on one JetStream node (R1,
 * 16 partitions) fed by the fleet simulator (agent i sends to collector i % n, failing over to the
 * next, and following steering hints to their partition's owner: each collector advertises its
 * URL unless BENCH_STEER=0). Reported per case: records acknowledged per wall second over the measured window and
 * the cluster's CPU per record (collectors + nats-server, from /proc), and the ratio to one
 * collector's. With fewer cores than collectors the records/s of n collectors with a core each
 * is estimated as n / that ratio (docs/scale-out.md). A fourth case runs one collector with a
 * third of the agents (the load each of 3 collectors takes).
 *
 * Two windows per case, both `measureMs` long: the steady state (the figures at the top level),
 * which starts once the simulated agents have produced no state, verdict or boot record for a
 * batch interval plus a second, and the earlier method's (`oldMethod`), after a fixed 6 s
 * warm-up, which fell in the start-up transient of first states (docs/scale-out.md).
 */
import * as fs from "node:fs";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSimulation, type SimulationStats } from "../../simulate/mod.ts";
import { freePorts, startNats } from "../../tests/nats/_nats.ts";
import { connect } from "@nats-io/transport-node";
import { Kvm } from "@nats-io/kv";
import { type CollectorProcess, cpuSeconds, rssMiB, startCollectorProcess, threadCpu, wakeups, writes } from "./_proc.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CALM = { failRate: 0, episodesPerProbeHour: 0, peerRestartsPerProbeHour: 0, silencesPerAgentHour: 0 };
/** The simulator's default batch interval (simulate/simulation.ts `batchIntervalMs`). */
const BATCH_INTERVAL_MS = 5000;

export async function jetstreamScaleOut(token: string, quick: boolean): Promise<Record<string, unknown>[]> {
  const sim = { agents: quick ? 1000 : 2000, probes: 10, speed: 4 };
  const warmMs = 6000, measureMs = quick ? 8000 : 12_000;
  const out: Record<string, unknown>[] = [];
  // The last case gives one collector the load each of 3 gets (a third of the agents): the
  // cluster's CPU per record at the same load per collector, which separates what the cluster
  // duplicates from what a less busy process pays per record (fewer messages per wake-up).
  const shapes = [{ n: 1, agents: sim.agents }, { n: 2, agents: sim.agents }, { n: 3, agents: sim.agents }, { n: 1, agents: Math.round(sim.agents / 3), third: true }]
    // BENCH_SHAPES=1,3 runs only those collector counts (profiling).
    .filter((c) => !process.env.BENCH_SHAPES || process.env.BENCH_SHAPES.split(",").map(Number).includes(c.n))
    // BENCH_THIRD=0 leaves out the case of one collector with a third of the agents.
    .filter((c) => !(c.third && process.env.BENCH_THIRD === "0"));
  // BENCH_BALANCE=pack: the members pack the partitions onto the fewest that keep up (`store.balance`, docs/scale-out.md "Seventh pass").
  const balance = process.env.BENCH_BALANCE ? `, balance: ${process.env.BENCH_BALANCE}` : "";
  for (const { n, agents, third } of shapes) {
    const dir = fs.mkdtempSync(join(tmpdir(), "ep-bench-fleet-js-"));
    const [natsPort] = await freePorts(1);
    const nats = await startNats(dir, natsPort);
    const collectors: CollectorProcess[] = [];
    const ac = new AbortController();
    let windowAt: { fromAt: number; toAt: number } | undefined;
    try {
      // Port 0 unless EDGEPROBE_PORTS gives this job a range (tests/nats/_nats.ts freePorts), or
      // the collectors advertise their URLs (steering: the port must be known before the start).
      const steer = process.env.BENCH_STEER !== "0";
      const ports = process.env.EDGEPROBE_PORTS || steer ? await freePorts(n) : Array(n).fill(0);
      for (let k = 0; k < n; k++) {
        // BENCH_CONSUMERS=K: only the first K collectors consume partitions (`store.consume: standby`
        // for the others): which side of a collector's work is the per-process excess.
        const consume = k < (Number(process.env.BENCH_CONSUMERS ?? n) || n);
        // BENCH_STEER=0: the collectors advertise no URL, so no answer steers (the tree before steering).
        const advertise = steer ? `, advertise: "http://127.0.0.1:${ports[k]}"` : "";
        collectors.push(await startCollectorProcess(dir, `n${n}${third ? "t" : ""}-c${k + 1}`, ports[k], `auth: { sharedToken: "${token}" }\nstore: { kind: jetstream, servers: ["${nats.url}"], collectorId: c${k + 1}${consume ? "" : ", consume: standby"}${advertise}${balance} }\nlimits: { maxBodyBytes: 4MiB }\n`));
      }
      await sleep(2500); // leases settle: each collector holds its share of the partitions
      // BENCH_SEND_TO=K: the agents send to the first K collectors only (the others consume and
      // serve): which side of a collector's work is the per-process excess (docs/scale-out.md, "Sixth pass").
      const sendTo = collectors.slice(0, Number(process.env.BENCH_SEND_TO ?? n) || n);
      const s = startSimulation({ agents, collectors: sendTo.map((c) => c.url), token, probesPerAgent: sim.probes, behaviour: { ...CALM, speed: sim.speed }, concurrency: 256, signal: ac.signal });
      const pids = [...collectors.map((c) => c.child.pid!), nats.child.pid!];
      const sample = () => ({ at: Date.now(), sim: s.stats(), cpu: pids.map(cpuSeconds), rss: collectors.map((c) => rssMiB(c.child.pid!)), threads: collectors.map((c) => threadCpu(c.child.pid!)), wake: pids.map(wakeups), io: collectors.map((c) => writes(c.child.pid!)) });
      // The old method: a fixed 6 s warm-up, then the window. It measured a start-up transient:
      // the agents' hysteresis settles each probe's first state 2 runs after its staggered start
      // (up to 3 intervals, 22.5 s for a 30 s probe at 4x), so most node writes in it carried a
      // new state or event (docs/scale-out.md, "Third pass").
      await sleep(warmMs);
      const oldA = sample();
      await sleep(measureMs);
      const oldB = sample();
      // The steady state: the window starts once no state, verdict or boot record has been
      // produced for one batch interval plus a second (the last ones are then acknowledged), with
      // the old window over; bounded at 60 s (then marked not settled).
      let changes = -1, changedAt = Date.now(), settled = false;
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const st = s.stats();
        const c = st.stateChanges + st.verdictChanges + st.boots;
        if (c !== changes) (changes = c, changedAt = Date.now());
        if (Date.now() - changedAt >= BATCH_INTERVAL_MS + 1000) {
          settled = true;
          break;
        }
        await sleep(250);
      }
      // BENCH_STEADY_FROM_S=N: the steady window starts no sooner than N s after the simulator
      // (the JIT threads still compile 24 s after a collector's start: 0.3-0.6 s of CPU in a 12 s window).
      const from = Number(process.env.BENCH_STEADY_FROM_S ?? 0) * 1000;
      while (s.stats().elapsedMs < from) await sleep(250);
      // BENCH_PERF_DIR: `perf record` of each collector and nats-server over the steady window
      // (native frames: the event loop, syscalls, GC, the allocator; JIT code shows as unknown).
      // BENCH_STRACE_DIR: `strace -c -f` of each process instead (system calls counted by kind;
      // it slows them, so the window's CPU figures are not comparable then).
      const tag = (i: number) => `n${n}${third ? "t" : ""}-${i < n ? `c${i + 1}` : "nats"}`;
      const perf = process.env.BENCH_PERF_DIR
        ? pids.map((pid, i) =>
          spawn("perf", ["record", "-q", "-F", "997", "-g", "-p", String(pid), "-o", join(process.env.BENCH_PERF_DIR!, `${tag(i)}.data`), "--", "sleep", String(measureMs / 1000)], { stdio: "ignore" }))
        : process.env.BENCH_STRACE_DIR
        ? pids.map((pid, i) => spawn("timeout", ["-s", "INT", String(measureMs / 1000), "strace", "-c", "-f", "-p", String(pid), "-o", join(process.env.BENCH_STRACE_DIR!, `${tag(i)}.txt`)], { stdio: "ignore" }))
        : [];
      // Partitions per collector (lease owners) at the start and the end of the steady window.
      const owners = async () => {
        const nc = await connect({ servers: [nats.url] });
        try {
          const kv = await new Kvm(nc).open("edgeprobe_leases");
          const count: Record<string, number> = {};
          for (let p = 0; p < 16; p++) {
            const e = await kv.get(`p.${p}`).catch(() => null);
            const o = e && e.operation === "PUT" ? JSON.parse(e.string()).owner as string : "-";
            count[o] = (count[o] ?? 0) + 1;
          }
          return count;
        } finally {
          await nc.close();
        }
      };
      const partitionsAtStart = await owners();
      const newA = sample();
      await sleep(measureMs);
      const newB = sample();
      const partitionsAtEnd = await owners();
      windowAt = { fromAt: newA.at, toAt: newB.at };
      await Promise.all(perf.map((p) => new Promise((r) => p.exitCode !== null ? r(null) : p.on("exit", r))));
      const figures = (a: ReturnType<typeof sample>, b: ReturnType<typeof sample>) => {
        const wall = (b.sim.elapsedMs - a.sim.elapsedMs) / 1000;
        const records = b.sim.acked - a.sim.acked;
        const cpu = b.cpu.map((x, i) => x - a.cpu[i]);
        const collectorCpu = cpu.slice(0, n).reduce((x, y) => x + y, 0);
        const total = collectorCpu + cpu[n];
        // The collectors' CPU in the window by thread (summed over collectors), user and system.
        const threads: Record<string, { user: number; system: number }> = {};
        b.threads.forEach((tb, k) => {
          for (const [name, t] of Object.entries(tb)) {
            const ta = a.threads[k][name] ?? { user: 0, system: 0 };
            const o = threads[name] ??= { user: 0, system: 0 };
            o.user = +(o.user + t.user - ta.user).toFixed(2);
            o.system = +(o.system + t.system - ta.system).toFixed(2);
          }
        });
        return {
          fromSec: +(a.sim.elapsedMs / 1000).toFixed(1), measuredSec: +wall.toFixed(1),
          offeredPerSec: Math.round((b.sim.generated - a.sim.generated) / wall), recordsPerSec: Math.round(records / wall),
          // State, verdict and boot records produced in the window (each makes node writes that views parse).
          changesInWindow: (b.sim.stateChanges + b.sim.verdictChanges + b.sim.boots) - (a.sim.stateChanges + a.sim.verdictChanges + a.sim.boots),
          recordsPerBatch: +(records / Math.max(1, b.sim.batches.ok - a.sim.batches.ok)).toFixed(1),
          collectorCpuSec: +collectorCpu.toFixed(2), collectorCpuSecEach: cpu.slice(0, n).map((x) => +x.toFixed(2)), natsCpuSec: +cpu[n].toFixed(2),
          clusterUsPerRecord: +(total * 1e6 / Math.max(1, records)).toFixed(2), collectorUsPerRecord: +(collectorCpu * 1e6 / Math.max(1, records)).toFixed(2),
          collectorThreadsCpuSec: threads,
          // Voluntary context switches per second: each collector's main thread (event-loop
          // wake-ups), then nats-server's threads together.
          // Write system calls per second of the collectors together (their SQLite pages), and KiB written.
          collectorWritesPerSec: Math.round(b.io.reduce((x, w, i) => x + w.calls - a.io[i].calls, 0) / wall),
          collectorWriteKiBPerSec: Math.round(b.io.reduce((x, w, i) => x + w.bytes - a.io[i].bytes, 0) / wall / 1024),
          // Agents moved to their partition's owner by a steering hint, in the window and since the start.
          steersInWindow: b.sim.steers - a.sim.steers, steersTotal: b.sim.steers,
          wakeupsPerSec: b.wake.map((w, i) => Math.round((i < n ? w.main - a.wake[i].main : w.all - a.wake[i].all) / wall)), collectorRssMiB: b.rss, backlogAtEnd: b.sim.pending, failedSends: b.sim.batches.failed - a.sim.batches.failed,
        };
      };
      // BENCH_SERIES_S=N: further windows of `measureMs` one after the other until N s after the
      // simulator's start, each with its CPU per record and the JIT threads' CPU (how long the
      // JIT keeps compiling in each process).
      const series: Record<string, unknown>[] = [];
      for (let a = newB; a.sim.elapsedMs < Number(process.env.BENCH_SERIES_S ?? 0) * 1000;) {
        await sleep(measureMs);
        const b = sample();
        const f = figures(a, b);
        const cpu = (name: string) => +((f.collectorThreadsCpuSec[name]?.user ?? 0) + (f.collectorThreadsCpuSec[name]?.system ?? 0)).toFixed(2);
        series.push({ fromSec: f.fromSec, recordsPerSec: f.recordsPerSec, clusterUsPerRecord: f.clusterUsPerRecord, collectorCpuSec: f.collectorCpuSec, mainCpuSec: cpu("main"), jitCpuSec: cpu("JITWorker"), natsCpuSec: f.natsCpuSec });
        a = b;
      }
      await s.stop();
      out.push({
        case: `${n} collector${n > 1 ? "s" : ""}, JetStream R1${third ? ", a third of the agents" : ""}`, agents, probesPerAgent: sim.probes, speed: sim.speed,
        settled, partitionsAtStart, partitionsAtEnd, ...figures(newA, newB), oldMethod: figures(oldA, oldB), ...(series.length > 0 ? { series } : {}),
      });
    } finally {
      ac.abort();
      // All at once: one by one, each stop handed its partitions to the others, which replayed them
      // from the stream (outside the measured window, but in the collectors' profiles and owner logs).
      await Promise.all(collectors.map((c) => c.stop()));
      // Wall clock of the steady window and of the collectors' exit: a CPU profile (written at
      // exit) is cut to the window with them.
      if (windowAt) out[out.length - 1].wallClock = { ...windowAt, exitAt: Date.now() };
      await nats.stop("SIGTERM");
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  type Figures = { clusterUsPerRecord: number; collectorUsPerRecord: number; cpuPerRecordVsOne?: number; collectorCpuPerRecordVsOne?: number; cpuPerRecordVsOneAtThirdLoad?: number };
  type Case = Figures & { case: string; oldMethod: Figures };
  const cases = out as Case[];
  const one = cases.find((c) => c.case === "1 collector, JetStream R1");
  const third = cases.find((c) => c.case.endsWith("a third of the agents"));
  const ratios = (c: Figures, one: Figures | undefined, third: Figures | undefined, isThree: boolean) => {
    if (one) c.cpuPerRecordVsOne = +(c.clusterUsPerRecord / one.clusterUsPerRecord).toFixed(2);
    if (one) c.collectorCpuPerRecordVsOne = +(c.collectorUsPerRecord / one.collectorUsPerRecord).toFixed(2);
    if (third && isThree) c.cpuPerRecordVsOneAtThirdLoad = +(c.clusterUsPerRecord / third.clusterUsPerRecord).toFixed(2);
  };
  for (const c of cases) {
    const isThree = c.case.startsWith("3 collectors");
    ratios(c, one, third, isThree);
    ratios(c.oldMethod, one?.oldMethod, third?.oldMethod, isThree);
  }
  return out;
}
