/**
 * @module The agent's idle RSS over time: the compiled binary with 200 probes (100 TCP to a
 * listener that accepts, 100 TLS handshakes to one that never answers, 1 s interval, 500 ms
 * timeout: bench/healthz_run.ts's config), read from /proc/PID/smaps at fixed times after start.
 * The goal (RSS idle with 200 probes ≤ 40 MB VmRSS) is about a state that holds, so it prints
 * the figure at every time, not only right after the trim at 3 s.
 *
 *   bun bench/rss_idle.ts --binary dist/edgeprobe                      # 5,10,30,60,120 s
 *   bun bench/rss_idle.ts --binary A --binary B --runs 2               # the binaries take turns
 *   bun bench/rss_idle.ts --binary dist/edgeprobe --agents 2           # two agents of one file at once
 *
 * Options: --times S,S,... (seconds after start), --runs R, --core C (taskset), --base-port P
 * (agents on P, P+1...; the peers on P+10 and P+11), --poll MS (a load balancer's GET /healthz
 * every MS ms; default 2000, 0 for none), --agents N (N agents of the same file at once: their
 * code pages are shared in the page cache), --json. Also reads /status once at 5 s, as the
 * healthz bench does before its RSS figure.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rawGet, startAcceptor, stopChild } from "./probe_cost.ts";
import { numberArg } from "./_number_arg.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resident kB by kind, from /proc/PID/smaps (and VmRSS from /proc/PID/status). */
export interface RssSample {
  readonly atS: number;
  readonly vmRssKb: number;
  readonly anonKb: number;
  /** The executable's mappings: code (r-x), constants (r--), data (rw-). */
  readonly exeCodeKb: number;
  readonly exeConstKb: number;
  readonly exeDataKb: number;
  /** Shared libraries (libc, libm...). */
  readonly libsKb: number;
}

/** Sum smaps' Rss by mapping kind; `exe` is the executable's path as smaps names it. */
export function sampleSmaps(smaps: string, status: string, exe: string, atS: number): RssSample {
  let exeCodeKb = 0, exeConstKb = 0, exeDataKb = 0, libsKb = 0, anonKb = 0;
  let perms = "", path = "";
  for (const line of smaps.split("\n")) {
    const head = /^[0-9a-f]+-[0-9a-f]+ (\S{4}) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      [perms, path] = [head[1], head[2]];
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) {
      const kb = Number(rss[1]);
      if (path === exe) {
        if (perms.includes("w")) exeDataKb += kb;
        else if (perms.includes("x")) exeCodeKb += kb;
        else exeConstKb += kb;
      } else if (path.startsWith("/")) libsKb += kb;
    }
    const anon = /^Anonymous:\s+(\d+) kB/.exec(line);
    if (anon) anonKb += Number(anon[1]);
  }
  const vmRssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { atS, vmRssKb, anonKb, exeCodeKb, exeConstKb, exeDataKb, libsKb };
}

function rss200Config(port: number, acceptPort: number, silentPort: number): string {
  const lines = ["agent: { id: bench }", `server: { listen: "127.0.0.1:${port}" }`, "health: { degraded: 200 }", "log: { level: warn }", "probes:"];
  for (let i = 0; i < 100; i++) lines.push(`  - { name: ok${i}, kind: tcp, target: "127.0.0.1:${acceptPort}", interval: 1s, timeout: 500ms, critical: true }`);
  for (let i = 0; i < 100; i++) lines.push(`  - { name: to${i}, kind: tcp, target: "127.0.0.1:${silentPort}", interval: 1s, timeout: 500ms, critical: false, options: { tls: true, verify: false } }`);
  return lines.join("\n") + "\n";
}

interface RunOptions {
  readonly binary: string;
  readonly times: readonly number[];
  readonly core: number;
  readonly port: number;
  readonly acceptPort: number;
  readonly silentPort: number;
  readonly pollMs: number;
  readonly agents: number;
}

/** One run: N agents of one binary, sampled at each time; resolves with the first agent's samples. */
async function runOnce(o: RunOptions): Promise<RssSample[][]> {
  const dir = mkdtempSync(join(tmpdir(), "edgeprobe-rss-"));
  const agents: ChildProcess[] = [];
  const polls: ReturnType<typeof setInterval>[] = [];
  try {
    const ports = Array.from({ length: o.agents }, (_, i) => o.port + i);
    for (const port of ports) {
      const cfg = join(dir, `agent${port}.yaml`);
      writeFileSync(cfg, rss200Config(port, o.acceptPort, o.silentPort));
      agents.push(spawn("taskset", ["-c", String(o.core), o.binary, "agent", "--config", cfg], { stdio: ["ignore", "ignore", "inherit"] }));
    }
    const t0 = performance.now();
    for (const port of ports) {
      while ((await rawGet(port, "/healthz"))?.status === undefined) {
        if (performance.now() - t0 > 20_000) throw new Error(`Cannot get an answer from the agent on port ${port} within 20 s`);
        await sleep(20);
      }
      if (o.pollMs) polls.push(setInterval(() => void rawGet(port, "/healthz"), o.pollMs));
    }
    const exe = readFileSync(`/proc/${agents[0].pid}/maps`, "utf8").split("\n")[0].split(/\s+/).slice(5).join(" ");
    const samples: RssSample[][] = agents.map(() => []);
    let statusRead = false;
    for (const at of o.times) {
      if (!statusRead && at > 5) {
        await sleep(Math.max(0, 5000 - (performance.now() - t0)));
        for (const port of ports) await rawGet(port, "/status");
        statusRead = true;
      }
      await sleep(Math.max(0, at * 1000 - (performance.now() - t0)));
      agents.forEach((a, i) => samples[i].push(sampleSmaps(readFileSync(`/proc/${a.pid}/smaps`, "utf8"), readFileSync(`/proc/${a.pid}/status`, "utf8"), exe, at)));
    }
    return samples;
  } finally {
    for (const p of polls) clearInterval(p);
    for (const a of agents) await stopChild(a);
    rmSync(dir, { recursive: true, force: true });
  }
}

const mib = (kb: number) => (kb / 1024).toFixed(1);

async function main(argv: string[]) {
  const binaries: string[] = [];
  let times = [5, 10, 30, 60, 120], runs = 1, core = 0, port = 20500, pollMs = 2000, agents = 1, json = false;
  for (let i = 0; i < argv.length; i++) {
    const [k, v] = [argv[i], argv[i + 1]];
    const num = () => (i++, numberArg(k, v));
    if (k === "--binary") (binaries.push(v), i++);
    else if (k === "--times") {
      times = String(v).split(",").map(Number);
      if (times.some((t) => !(t > 0))) throw new Error(`Cannot parse --times: expected seconds like 5,10,30, got ${JSON.stringify(v)}`);
      i++;
    } else if (k === "--runs") runs = num();
    else if (k === "--core") core = num();
    else if (k === "--base-port") port = num();
    else if (k === "--poll") pollMs = num();
    else if (k === "--agents") agents = num();
    else if (k === "--json") json = true;
    else throw new Error(`Cannot parse arguments: unknown option ${k}`);
  }
  if (!binaries.length) throw new Error("Cannot measure: give --binary PATH (once or more)");
  const acceptPort = port + 10, silentPort = port + 11;
  const stopAcceptor = await startAcceptor(acceptPort);
  const stopSilent = await startAcceptor(silentPort, true);
  try {
    for (let r = 1; r <= runs; r++) {
      for (const binary of binaries) {
        const all = await runOnce({ binary, times, core, port, acceptPort, silentPort, pollMs, agents });
        if (json) {
          console.log(JSON.stringify({ binary, run: r, agents, pollMs, samples: all }));
          continue;
        }
        all.forEach((samples, i) => {
          console.log(`run ${r} ${binary}${agents > 1 ? ` agent ${i + 1} of ${agents}` : ""}:`);
          for (const s of samples) {
            console.log(`  ${String(s.atS).padStart(4)} s  VmRSS ${mib(s.vmRssKb).padStart(5)} MiB  anon ${mib(s.anonKb)}  exe code ${mib(s.exeCodeKb)}  exe const ${mib(s.exeConstKb)}  exe data ${mib(s.exeDataKb)}  libs ${mib(s.libsKb)}${s.vmRssKb <= 40 * 1024 ? "  (≤ 40 MiB)" : ""}`);
          }
        });
      }
    }
  } finally {
    stopAcceptor();
    stopSilent();
  }
}

if (import.meta.main) await main(process.argv.slice(2));
