/**
 * The fixed CPU of a JetStream cluster with no load: 1 and 3 collectors on one nats-server (R1,
 * 16 partitions), CPU of each process over 10 s once the leases settled (lease ticks, consumer
 * heartbeats and pulls, timers). This is the part of the cluster's CPU that grows with the number
 * of collectors and with time rather than with records (docs/scale-out.md, "Benchmark").
 *
 *   bun bench/nats_idle.ts        (LEASE_TTL=4s by default; BENCH_BALANCE=pack)
 */
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePorts, startNats } from "../tests/nats/_nats.ts";
import { cpuSeconds, startCollectorProcess } from "./fleet/_proc.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ttl = process.env.LEASE_TTL ?? "4s";
// BENCH_BALANCE=pack: `store.balance: pack` (each member reads the leader's entry, the leader the active members'; docs/scale-out.md "Seventh pass").
const balance = process.env.BENCH_BALANCE ? `, balance: ${process.env.BENCH_BALANCE}` : "";
const out: Record<string, unknown>[] = [];
for (const n of [1, 3]) {
  const dir = fs.mkdtempSync(join(tmpdir(), "ep-bench-idle-"));
  const [port] = await freePorts(1);
  const nats = await startNats(dir, port);
  const collectors = [];
  try {
    for (let k = 0; k < n; k++) {
      // BENCH_STEER=1: each collector advertises its URL (store.advertise: the lease entries carry it).
      const [port] = process.env.BENCH_STEER === "1" ? await freePorts(1) : [0];
      const advertise = process.env.BENCH_STEER === "1" ? `, advertise: "http://127.0.0.1:${port}"` : "";
      collectors.push(await startCollectorProcess(dir, `c${k + 1}`, port, `auth: { sharedToken: "bench-token-0123456789abcdef" }\nstore: { kind: jetstream, servers: ["${nats.url}"], collectorId: c${k + 1}, leaseTtl: ${ttl}${advertise}${balance} }\n`));
    }
    await sleep(4000);
    const pids = [...collectors.map((c) => c.child.pid!), nats.child.pid!];
    const a = pids.map(cpuSeconds);
    await sleep(10_000);
    const cpu = pids.map((p, i) => cpuSeconds(p) - a[i]);
    const collectorMsPerSec = cpu.slice(0, n).map((x) => Math.round(x * 100));
    out.push({ collectors: n, leaseTtl: ttl, balance: process.env.BENCH_BALANCE ?? "spread", collectorCpuMsPerSec: collectorMsPerSec, natsCpuMsPerSec: Math.round(cpu[n] * 100), clusterCpuMsPerSec: Math.round(cpu.reduce((x, y) => x + y, 0) * 100) });
  } finally {
    for (const c of collectors) await c.stop();
    await nats.stop("SIGTERM");
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
console.log(JSON.stringify(out, null, 2));
