/**
 * @module A hard CPU limit for one process (Linux), so that a load generator on the same
 * machine can offer a multiple of what the process can take: on a 2-core box the simulator cannot
 * offer twice a whole collector core, but it can offer twice a quarter of one.
 *
 * In order of preference: cgroup v2 `cpu.max`, cgroup v1 `cpu.cfs_quota_us` (the CFS bandwidth
 * controller, kernel Documentation/scheduler/sched-bwc.rst: the group's threads together run at
 * most `quota` µs per `period` µs), else a SIGSTOP/SIGCONT duty cycle from this process (coarser:
 * a timer of this process sets the slices, so its own load shows in them). The period is 20 ms, so
 * a throttled collector answers within ~20 ms of becoming runnable (the default 100 ms would
 * hold it 75 ms at a time at a quarter core).
 */
import * as fs from "node:fs";

export interface CpuLimit {
  /** "cgroup2", "cgroup1" or "sigstop". */
  readonly method: string;
  readonly cores: number;
  /** Lift the limit and remove the group (idempotent; the process may have exited). */
  release(): void;
}

const PERIOD_US = 20_000;

function tryWrite(path: string, value: string): boolean {
  try {
    fs.writeFileSync(path, value);
    return true;
  } catch {
    return false;
  }
}

function cgroupLimit(pid: number, cores: number, root: string, v2: boolean): CpuLimit | undefined {
  const dir = `${root}/edgeprobe-cpu-${pid}`;
  try {
    fs.mkdirSync(dir);
  } catch {
    return undefined;
  }
  const quota = Math.max(1000, Math.round(cores * PERIOD_US));
  const set = v2
    ? tryWrite(`${dir}/cpu.max`, `${quota} ${PERIOD_US}`)
    : tryWrite(`${dir}/cpu.cfs_period_us`, String(PERIOD_US)) && tryWrite(`${dir}/cpu.cfs_quota_us`, String(quota));
  // cgroup.procs moves every thread of the process (cgroups(7)); threads started later follow.
  if (!set || !tryWrite(`${dir}/cgroup.procs`, String(pid))) {
    try {
      fs.rmdirSync(dir);
    } catch { /* left for the next run's name */ }
    return undefined;
  }
  let released = false;
  return {
    method: v2 ? "cgroup2" : "cgroup1",
    cores: quota / PERIOD_US,
    release() {
      if (released) return;
      released = true;
      tryWrite(`${root}/cgroup.procs`, String(pid));
      // rmdir fails (EBUSY) while a moved or exiting thread is still counted: retry for 2 s.
      const remove = (left: number) => {
        try {
          fs.rmdirSync(dir);
        } catch {
          if (left > 0) setTimeout(() => remove(left - 1), 100).unref?.();
        }
      };
      remove(20);
    },
  };
}

function dutyCycle(pid: number, cores: number): CpuLimit {
  const on = Math.max(1, Math.round((cores * PERIOD_US) / 1000));
  const period = PERIOD_US / 1000;
  let stopped = false;
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(pid, s);
    } catch { /* exited */ }
  };
  const cycle = () => {
    signal("SIGCONT");
    stopTimer = setTimeout(() => (stopped || signal("SIGSTOP")), on);
  };
  let stopTimer: ReturnType<typeof setTimeout> | undefined;
  const timer = setInterval(cycle, period);
  cycle();
  return {
    method: "sigstop",
    cores: on / period,
    release() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      clearTimeout(stopTimer);
      signal("SIGCONT");
    },
  };
}

/**
 * Limit process `pid` (all its threads) to `cores` of CPU time (0.25 = a quarter of one core).
 * The caller releases it; a process that exits needs no release beyond removing the group.
 */
export function limitCpu(pid: number, cores: number): CpuLimit {
  const v2root = "/sys/fs/cgroup";
  const v2controllers = (() => {
    try {
      return fs.readFileSync(`${v2root}/cgroup.controllers`, "utf8");
    } catch {
      return "";
    }
  })();
  if (/\bcpu\b/.test(v2controllers)) {
    tryWrite(`${v2root}/cgroup.subtree_control`, "+cpu");
    const l = cgroupLimit(pid, cores, v2root, true);
    if (l) return l;
  }
  if (fs.existsSync("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")) {
    const l = cgroupLimit(pid, cores, "/sys/fs/cgroup/cpu", false);
    if (l) return l;
  }
  return dutyCycle(pid, cores);
}
