/** @module Process figures for the fleet benchmark, from /proc (Linux): CPU seconds and resident memory. */
import * as fs from "node:fs";
import { join } from "node:path";
import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";

/** utime + stime of a process in seconds (USER_HZ = 100, proc(5)). */
export function cpuSeconds(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

/**
 * CPU seconds of a process by thread name (proc(5) /proc/<pid>/task/<tid>/stat, comm with digits
 * folded: "HeapHelper" for every GC helper), user and system apart: what of a collector's CPU is
 * not its JavaScript thread (GC helpers, JIT, I/O threads) and how much is the kernel's.
 */
export function threadCpu(pid: number): Record<string, { user: number; system: number }> {
  const out: Record<string, { user: number; system: number }> = {};
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
    } catch {
      continue; // the thread ended
    }
    const name = tid === String(pid) ? "main" : stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")).replace(/[\d\s]+$/, "");
    const f = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
    const t = out[name] ??= { user: 0, system: 0 };
    t.user += Number(f[11]) / 100;
    t.system += Number(f[12]) / 100;
  }
  return out;
}

/**
 * Voluntary context switches (proc(5) /proc/<pid>/task/<tid>/status): of the main thread (each
 * is an event-loop wait that blocked: one wake-up) and of every thread together.
 */
export function wakeups(pid: number): { main: number; all: number } {
  let main = 0, all = 0;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    let status: string;
    try {
      status = fs.readFileSync(`/proc/${pid}/task/${tid}/status`, "utf8");
    } catch {
      continue; // the thread ended
    }
    const v = Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0);
    all += v;
    if (tid === String(pid)) main = v;
  }
  return { main, all };
}

/**
 * Write system calls and bytes written by a process (proc(5) /proc/<pid>/io `syscw`, `wchar`):
 * file writes (a collector's SQLite pages into its WAL and database) and pipe writes, not
 * socket sends.
 */
export function writes(pid: number): { calls: number; bytes: number } {
  const io = fs.readFileSync(`/proc/${pid}/io`, "utf8");
  return { calls: Number(/syscw:\s+(\d+)/.exec(io)?.[1] ?? 0), bytes: Number(/wchar:\s+(\d+)/.exec(io)?.[1] ?? 0) };
}

/** VmRSS in MiB (proc(5)). */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? +(Number(m[1]) / 1024).toFixed(1) : 0;
}

export interface CollectorProcess {
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

const ROOT = new URL("../../", import.meta.url).pathname;

/**
 * Start `edgeprobe collector` with a YAML config written to `dir`; resolves when it listens.
 * Port 0 takes a free port (a fixed one can be held as the local end of an earlier case's
 * client connection in TIME_WAIT, measured here).
 */
export async function startCollectorProcess(dir: string, name: string, port: number, yaml: string): Promise<CollectorProcess> {
  const conf = join(dir, `${name}.yaml`);
  fs.writeFileSync(conf, `listen: "127.0.0.1:${port}"\n${yaml}`);
  // BENCH_COLLECTOR_ARGS: runtime flags for the collector (e.g. "--cpu-prof --cpu-prof-dir=/tmp/p");
  // BENCH_PROFILE_DIR: each collector writes a CPU profile (markdown) there at exit.
  const extra = (process.env.BENCH_COLLECTOR_ARGS ?? "").split(" ").filter(Boolean);
  // BENCH_PROFILE_JSON=1: a .cpuprofile (samples, one per ms of CPU) instead; the markdown's self
  // times are wall-clock deltas between samples, so an idle process's share is inflated.
  const json = process.env.BENCH_PROFILE_JSON === "1";
  const prof = process.env.BENCH_PROFILE_DIR ? [json ? "--cpu-prof" : "--cpu-prof-md", `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`, `--cpu-prof-name=${name}.${json ? "cpuprofile" : "md"}`] : [];
  const child = spawn(process.execPath, [...extra, ...prof, "cli/main.ts", "collector", "--config", conf], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr!.on("data", (d: Buffer) => void (err = (err + d.toString()).slice(-4000)));
  // BENCH_LOG_DIR: each collector's log lines are kept there (<name>.log).
  if (process.env.BENCH_LOG_DIR) {
    const log = fs.createWriteStream(join(process.env.BENCH_LOG_DIR, `${name}.log`));
    child.stdout!.on("data", (d: Buffer) => log.write(d));
    child.stderr!.on("data", (d: Buffer) => log.write(d));
  }
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`Cannot start collector ${name}: ${err}`)), 60_000);
    child.stdout!.on("data", (d: Buffer) => {
      const m = /listening on (\S+)/.exec(d.toString());
      if (m) (clearTimeout(t), resolve(m[1]));
    });
    child.on("exit", (code) => (clearTimeout(t), reject(new Error(`Cannot start collector ${name}: exited ${code}: ${err}`))));
  });
  return {
    url,
    child,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await new Promise((r) => child.on("exit", r));
    },
  };
}

/**
 * A loopback port free right now, for a collector that must come back on the same port after a
 * restart (port 0 would give it another). Fixed ports in 32768-60999 collide with the ephemeral
 * source ports of earlier connections (Linux ip_local_port_range).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = (srv.address() as net.AddressInfo);
      srv.close(() => resolve(port));
    });
  });
}
