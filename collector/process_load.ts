/**
 * @module This collector process's CPU load, as a fraction of the CPU it may use: what a lease
 * member reports in its `m.<collector>` entry for `store.balance: pack` (collector/lease_policy.ts,
 * docs/scale-out.md "Seventh pass").
 *
 * `process.cpuUsage()` (node:process; Bun and Deno implement it) counts every thread of the
 * process, user and system. The CPU a process may use is one core (its JavaScript runs on one
 * thread) or less when its cgroup has a CPU quota (a container's CPU limit, or the saturation
 * benchmark's quota, bench/fleet/cpu_limit.ts): cgroup v2 `cpu.max`, v1 `cpu.cfs_quota_us` /
 * `cpu.cfs_period_us` (the kernel's CFS bandwidth control, Documentation/scheduler/sched-bwc.rst).
 * Without the quota, a collector held to 0.15 core would read 0.15 while it cannot keep up.
 */
import * as fs from "node:fs";
import process from "node:process";

/** The process's cgroup line for the cpu controller, and the mount to read it under. */
function cgroupFiles(): { quota: string; period?: string; v2: boolean } | undefined {
  let lines: string[];
  try {
    lines = fs.readFileSync("/proc/self/cgroup", "utf8").split("\n");
  } catch {
    return undefined;
  }
  for (const l of lines) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(l) ?? [];
    if (controllers === undefined) continue;
    if (controllers.split(",").includes("cpu")) {
      for (const root of ["/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"]) {
        if (fs.existsSync(`${root}${path}/cpu.cfs_quota_us`)) return { quota: `${root}${path}/cpu.cfs_quota_us`, period: `${root}${path}/cpu.cfs_period_us`, v2: false };
      }
    }
    if (controllers === "" && fs.existsSync(`/sys/fs/cgroup${path}/cpu.max`)) return { quota: `/sys/fs/cgroup${path}/cpu.max`, v2: true };
  }
  return undefined;
}

/**
 * Cores this process may use: its cgroup's CPU quota, at most 1 (one JavaScript thread).
 * Read again each call (a file read or two): a process can be moved into a limited cgroup after
 * it started, as the benchmark does.
 */
export function cpuCapacity(): number {
  const f = cgroupFiles();
  if (!f) return 1;
  try {
    if (f.v2) {
      const [q, p] = fs.readFileSync(f.quota, "utf8").trim().split(/\s+/);
      return q === "max" ? 1 : Math.min(1, Number(q) / Number(p));
    }
    const q = Number(fs.readFileSync(f.quota, "utf8").trim());
    if (q <= 0) return 1;
    return Math.min(1, q / Number(fs.readFileSync(f.period!, "utf8").trim()));
  } catch {
    return 1;
  }
}

export interface ProcessLoadOptions {
  /** The clock (ms). @default Date.now */
  readonly now?: () => number;
  /** CPU used by the process so far, in µs. @default process.cpuUsage() user + system */
  readonly cpuMicros?: () => number;
  /** Cores the process may use. @default cpuCapacity() */
  readonly capacity?: () => number;
  /** The window a reading covers: the samples of the last this many ms (the store passes leaseTtl: four lease ticks). @default 2000 */
  readonly windowMs?: number;
}

/**
 * A meter of this process's CPU: each call takes a sample and returns the CPU used since the
 * oldest sample within `windowMs` (two lease ticks by default, so one busy tick does not count
 * alone), over the wall time between them, divided by the capacity. 0 on the first call.
 */
export function processLoadMeter(o: ProcessLoadOptions = {}): () => number {
  const now = o.now ?? Date.now;
  const cpu = o.cpuMicros ?? (() => {
    const u = process.cpuUsage();
    return u.user + u.system;
  });
  const capacity = o.capacity ?? cpuCapacity;
  const windowMs = o.windowMs ?? 2000;
  const samples: { at: number; cpu: number }[] = [];
  return () => {
    const s = { at: now(), cpu: cpu() };
    samples.push(s);
    while (samples.length > 2 && s.at - samples[1].at >= windowMs) samples.shift();
    const first = samples[0];
    const wallMs = s.at - first.at;
    if (wallMs <= 0) return 0;
    return (s.cpu - first.cpu) / 1000 / wallMs / Math.max(0.01, capacity());
  };
}
