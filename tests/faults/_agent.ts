/** @module Start the agent from source as a real process for fault tests, on a port it picks. */
import { execFile, execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Child, startChild } from "../_util/process.ts";

const root = new URL("../../", import.meta.url).pathname;
export const BUN = join(root, "node_modules/.bin/bun");

export interface RunningAgent {
  readonly child: Child;
  /** host:port of its HTTP surface, once listening. */
  readonly hostPort: Promise<string>;
}

/** Write `yaml` to `dir/agent.yaml` and start `edgeprobe agent` on Bun. */
/**
 * Start the agent from source on a config. With `fifo`, the config is a named pipe the agent's
 * start-up blocks on until `release()` writes it (a start-up window of the test's choosing).
 */
export function spawnAgent(dir: string, yaml: string, env: Record<string, string> = {}, opts: { fifo?: boolean } = {}): RunningAgent & { release(): Promise<void> } {
  const path = join(dir, "agent.yaml");
  if (opts.fifo) execFileSync("mkfifo", [path]);
  else writeFileSync(path, yaml);
  const child = startChild(BUN, ["cli/main.ts", "agent", "--config", path], { cwd: root, env });
  const hostPort = child.waitFor(/listening on \S+:\d+/, 20_000).then((l) => l.replace("listening on ", ""));
  // The writer is a child process with a deadline: opening a FIFO blocks until the reader opens.
  const release = () => opts.fifo
    ? new Promise<void>((resolve, reject) => execFile("sh", ["-c", 'printf "%s" "$0" > "$1"', yaml, path], { timeout: 10_000 }, (e) => e ? reject(e) : resolve()))
    : Promise.resolve();
  return { child, hostPort, release };
}

/** True once the process has a handler installed for `signal` (its bit in /proc/PID/status SigCgt). */
export function catches(pid: number, signal: number): boolean {
  try {
    const m = /SigCgt:\s*([0-9a-f]+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? (BigInt(`0x${m[1]}`) & (1n << BigInt(signal - 1))) !== 0n : false;
  } catch {
    return false;
  }
}

/** GET a path with a deadline; the status, or 0 when no answer came. */
export async function get(hostPort: string, path: string, ms = 2000): Promise<{ status: number; body: string; ms: number }> {
  const t0 = performance.now();
  try {
    const res = await fetch(`http://${hostPort}${path}`, { signal: AbortSignal.timeout(ms) });
    return { status: res.status, body: await res.text(), ms: performance.now() - t0 };
  } catch {
    return { status: 0, body: "", ms: performance.now() - t0 };
  }
}
