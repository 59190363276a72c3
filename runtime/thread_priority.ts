/**
 * @module Lower the calling thread's CPU priority (Linux): the nice value is per thread there
 * (setpriority(2) NOTES: PRIO_PROCESS with a thread id affects that thread only), and the
 * thread's id is the last part of /proc/thread-self (proc(5)). Used by the collector's read
 * thread so its heavy reads yield the CPU to the thread that ingests and serves the fleet API.
 */
import { readlinkSync } from "node:fs";
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
