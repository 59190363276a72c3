/**
 * @module Lower the calling thread's CPU priority (Linux): the nice value is per thread there
 * (setpriority(2) NOTES: PRIO_PROCESS with a thread id affects that thread only), and the
 * thread's id is the last part of /proc/thread-self (proc(5)). Used by the collector's read
 * thread so its heavy reads yield the CPU to the thread that ingests and serves the fleet API.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, readlinkSync } from "node:fs";
import { getPriority, setPriority } from "node:os";

/**
 * Set this thread's nice value to `nice` (higher is lower priority; raising it needs no privilege).
 * @returns the thread's nice value afterwards, or undefined where this is not possible (not Linux).
 */
export function niceThisThread(nice: number): number | undefined {
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    if (!Number.isInteger(tid) || tid <= 0) return undefined;
    setPriority(tid, nice);
    return getPriority(tid);
  } catch {
    return undefined;
  }
}

/**
 * Put this thread under SCHED_IDLE (Linux, sched(7); an unprivileged thread may switch to it):
 * any normal thread that wakes preempts it at once. Nice alone does not: under EEVDF (Linux ≥
 * 6.6) a waking thread waits for the running one's time slice (~3 ms) whatever its nice value;
 * measured with bench:reads, the collector's main thread waited for a CPU 8-14 ms a second under
 * the read hammer (3-4 ms idle) with the read thread at nice 10. Done with util-linux chrt(1)
 * (Node has no sched_setscheduler).
 * @returns whether the thread runs under SCHED_IDLE afterwards (false: not Linux, no chrt).
 */
export function idleThisThread(): boolean {
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    if (!Number.isInteger(tid) || tid <= 0) return false;
    spawnSync("chrt", ["--idle", "--pid", "0", String(tid)], { stdio: "ignore", timeout: 2000 });
    // proc(5) /proc/[pid]/stat field 41 "policy"; SCHED_IDLE is 5.
    return readFileSync("/proc/thread-self/stat", "utf8").split(") ")[1].split(" ")[38] === "5";
  } catch {
    return false;
  }
}
