/**
 * @module What one TCP probe costs: the agent with N `tcp` probes a second (default 1,000) to a
 * loopback listener that accepts and closes, no telemetry; its CPU (user + system from /proc)
 * over a window divided by the runs its /status counted. bench/healthz_run.ts uses this for its
 * "CPU per TCP probe" line (beside blackbox_exporter); alone it needs none of nginx, wrk or
 * h2load:
 *
 *   bun bench/probe_cost.ts                          # the source on Bun, 1,000 probes, 10 s, 3 runs
 *   bun bench/probe_cost.ts --binary dist/edgeprobe  # the compiled binary
 *   bun bench/probe_cost.ts --binary A --binary B    # two binaries taking turns, run by run
 *   bun bench/probe_cost.ts --runtime deno           # the source on Deno
 *   bun bench/probe_cost.ts --cpu-prof DIR           # Bun only: a .cpuprofile of the agent
 *
 * Options: --probes N, --seconds S, --runs R, --core C (the agent's core, default 0; the
 * listener stays in this process, pin it elsewhere with taskset), --base-port P (P and P+1),
 * --root DIR (the source tree to run; given twice or more, the trees take turns run by run; so
 * do two or more --binary).
 * Prints one line per run and the median; `--json` prints the figures as JSON.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { numberArg } from "./_number_arg.ts";

export interface ProbeCostOptions {
  /** The compiled binary; absent: the source (cli/main.ts) on `runtime`. */
  readonly binary?: string;
  readonly runtime?: "bun" | "deno";
  /** The source tree to run (another worktree, to compare two versions back to back). @default "." */
  readonly root?: string;
  readonly probes: number;
  readonly seconds: number;
  /** The core the agent is pinned to (taskset). */
  readonly core: number;
  /** The agent listens here, the accepting peer on port + 1 (unless `acceptPort`). */
  readonly port: number;
  /** An accepting listener already running (bench/healthz_run.ts has one). */
  readonly acceptPort?: number;
  /** Bun only: write a CPU profile of the agent into this directory. */
  readonly cpuProfDir?: string;
}

export interface ProbeCost {
  /** CPU µs per probe run (user + system). */
  readonly us: number;
  readonly userUs: number;
  readonly systemUs: number;
  readonly runs: number;
  /** Share of one core over the window. */
  readonly share: number;
}

const CLK_TCK = 100; // getconf CLK_TCK on Linux x86-64 and arm64
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** User and system CPU seconds a process has used so far (/proc/PID/stat fields 14 and 15). */
function cpuOf(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(f[11]) / CLK_TCK, system: Number(f[12]) / CLK_TCK };
}

/** One raw HTTP/1.1 GET; resolves with the status code, or undefined if nothing listens yet (bench/healthz_run.ts too). */
export function rawGet(port: number, path: string): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    let buf = "";
    const done = (v: { status: number; body: string } | undefined) => {
      s.destroy();
      resolve(v);
    };
    s.on("error", () => done(undefined));
    s.on("connect", () => s.write(`GET ${path} HTTP/1.1\r\nhost: bench\r\nconnection: close\r\n\r\n`));
    s.on("data", (d) => (buf += d.toString("latin1")));
    s.on("close", () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(buf);
      const i = buf.indexOf("\r\n\r\n");
      done(m ? { status: Number(m[1]), body: i >= 0 ? buf.slice(i + 4) : "" } : undefined);
    });
  });
}

async function totalRuns(port: number): Promise<number> {
  const r = await rawGet(port, "/status");
  if (r?.status !== 200) throw new Error(`Cannot read /status on port ${port}: ${r?.status ?? "no answer"}`);
  return (JSON.parse(r.body).probes as Array<{ runs: number }>).reduce((a, x) => a + x.runs, 0);
}

/**
 * A listener that accepts and closes at once (the peer of every probe), or with `silent` accepts
 * and never answers (the peer of a TLS probe that times out in its handshake).
 */
export function startAcceptor(port: number, silent = false): Promise<() => void> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on("error", () => {});
    s.on("close", () => sockets.delete(s));
    if (!silent) s.end();
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () =>
      resolve(() => {
        for (const s of sockets) s.destroy();
        server.close();
      }));
  });
}

export function probeCostConfig(port: number, acceptPort: number, probes: number): string {
  const lines = [
    "agent: { id: bench }",
    `server: { listen: "127.0.0.1:${port}" }`,
    "log: { level: warn }",
    probes ? "probes:" : "probes: []",
  ];
  for (let i = 0; i < probes; i++) {
    lines.push(`  - { name: ok${String(i).padStart(4, "0")}, kind: tcp, target: "127.0.0.1:${acceptPort}", interval: 1s, timeout: 500ms, critical: true }`);
  }
  return lines.join("\n") + "\n";
}

/** SIGTERM, SIGKILL after 5 s; resolves once the process has exited (bench/healthz_run.ts too). */
export function stopChild(c: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve();
    const t = setTimeout(() => c.kill("SIGKILL"), 5000);
    c.once("exit", () => {
      clearTimeout(t);
      resolve();
    });
    c.kill("SIGTERM");
  });
}

/** One measurement: start the agent, let it settle 3 s, measure over `seconds`, stop it. */
export async function measureProbeCost(o: ProbeCostOptions): Promise<ProbeCost> {
  const dir = mkdtempSync(join(tmpdir(), "edgeprobe-probe-cost-"));
  const acceptPort = o.acceptPort ?? o.port + 1;
  const stopAcceptor = o.acceptPort === undefined ? await startAcceptor(acceptPort) : () => {};
  const cfg = join(dir, "agent.yaml");
  writeFileSync(cfg, probeCostConfig(o.port, acceptPort, o.probes));
  const bun = process.execPath;
  const cmd = o.binary
    ? [o.binary, "agent", "--config", cfg]
    : o.runtime === "deno"
    ? [join(process.cwd(), "node_modules/.bin/deno"), "run", "-A", "--no-check", "cli/main.ts", "agent", "--config", cfg]
    : [bun, ...(o.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${o.cpuProfDir}`] : []), "cli/main.ts", "agent", "--config", cfg];
  // taskset execs the agent, so the PID is the agent's own.
  const agent = spawn("taskset", ["-c", String(o.core), ...cmd], { stdio: ["ignore", "ignore", "inherit"], cwd: o.root });
  try {
    const t0 = performance.now();
    while ((await rawGet(o.port, "/healthz"))?.status !== 200) {
      if (performance.now() - t0 > 20_000) throw new Error(`Cannot get 200 from the agent on port ${o.port} within 20 s`);
      await sleep(20);
    }
    await sleep(3000);
    const r0 = await totalRuns(o.port);
    const c0 = cpuOf(agent.pid!);
    const w0 = performance.now();
    await sleep(o.seconds * 1000);
    const c1 = cpuOf(agent.pid!);
    const wall = (performance.now() - w0) / 1000;
    const r1 = await totalRuns(o.port);
    const runs = r1 - r0;
    const user = c1.user - c0.user, system = c1.system - c0.system;
    return { us: ((user + system) * 1e6) / runs, userUs: (user * 1e6) / runs, systemUs: (system * 1e6) / runs, runs, share: (user + system) / wall };
  } finally {
    await stopChild(agent);
    stopAcceptor();
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(argv: string[]) {
  let runtime: "bun" | "deno" = "bun", cpuProfDir: string | undefined;
  const roots: string[] = [], binaries: string[] = [];
  let probes = 1000, seconds = 10, runs = 3, core = 0, port = 23400, json = false;
  for (let i = 0; i < argv.length; i++) {
    const [k, v] = [argv[i], argv[i + 1]];
    const num = () => (i++, numberArg(k, v));
    if (k === "--binary") (binaries.push(v), i++);
    else if (k === "--runtime") {
      if (v !== "bun" && v !== "deno") throw new Error(`Cannot parse --runtime: expected bun or deno, got ${JSON.stringify(v)}`);
      (runtime = v, i++);
    } else if (k === "--cpu-prof") (cpuProfDir = v, i++);
    else if (k === "--root") (roots.push(v), i++);
    else if (k === "--probes") probes = num();
    else if (k === "--seconds") seconds = num();
    else if (k === "--runs") runs = num();
    else if (k === "--core") core = num();
    else if (k === "--base-port") port = num();
    else if (k === "--json") json = true;
    else throw new Error(`Cannot parse arguments: unknown option ${k}`);
  }
  if (roots.length > 1 && binaries.length > 1) throw new Error("Cannot compare trees and binaries at once: give several --root or several --binary");
  // Several --root or --binary: they take turns, run by run, so a busy machine weighs on each alike.
  const subjects: Array<{ root: string; binary?: string }> = binaries.length
    ? binaries.map((binary) => ({ root: roots[0] ?? ".", binary }))
    : (roots.length ? roots : ["."]).map((root) => ({ root }));
  const label = (s: { root: string; binary?: string }) => s.binary ?? s.root;
  const all = new Map<string, ProbeCost[]>(subjects.map((s) => [label(s), []]));
  for (let r = 1; r <= runs; r++) {
    for (const s of subjects) {
      const c = await measureProbeCost({ binary: s.binary, runtime, root: s.root, probes, seconds, core, port, cpuProfDir });
      all.get(label(s))!.push(c);
      if (!json) console.log(`run ${r}${subjects.length > 1 ? ` ${label(s)}` : ""}: ${c.us.toFixed(1)} µs CPU per TCP probe (user ${c.userUs.toFixed(1)}, system ${c.systemUs.toFixed(1)}); ${c.runs} runs in ${seconds} s, ${(c.share * 100).toFixed(1)}% of a core`);
    }
  }
  for (const [key, cs] of all) {
    const what = binaries.length ? key : `${key === "." ? "source" : key} on ${runtime}`;
    const m = median(cs.map((c) => c.us));
    if (json) console.log(JSON.stringify({ what, probes, seconds, median: m, runs: cs }));
    else console.log(`${what}, ${probes} probes: median ${m.toFixed(1)} µs CPU per TCP probe (goal ≤ 60 µs)`);
  }
}

if (import.meta.main) await main(process.argv.slice(2));
