/**
 * @module What makes /healthz's tail beside the probes: the agent's long event-loop turns while
 * wrk saturates it, and what ran in them (docs/benchmarks.md "The probe path, fourth pass").
 * Runs the agent from source on Bun with bench/_stall_probe.ts preloaded and JavaScriptCore's GC
 * log on (`BUN_JSC_logGC`), N probes (half `tcp` to a listener that accepts, half `tcp` with TLS
 * to one that never answers, so they time out; interval 1 s, timeout 500 ms), pinned to one core,
 * `wrk -t1 -c32` on another; prints the distribution of turns longer than 0.5 ms, the callbacks
 * that ran in them, the turns by socket callbacks run, and the GC pauses in the same window.
 *
 *   flock /tmp/edgeprobe-heavy.lock bun bench/loop_stalls.ts            # 1,000 probes, 5 s of wrk
 *   bun bench/loop_stalls.ts --probes 0                                # the server alone
 *   bun bench/loop_stalls.ts --no-wrk                                  # the probes alone
 *   bun bench/loop_stalls.ts --root ../other-tree                      # another source tree
 *   bun bench/loop_stalls.ts --binary dist/edgeprobe --env BUN_GC_TIMER_DISABLE=1   # GC log and wrk only
 *
 * Options: --seconds S (5), --core C (0; wrk and the peers on C+1), --base-port P (P..P+2, 21100).
 * A measuring tool, not the benchmark: the preload keeps the loop busy and costs per callback, so
 * its wrk figures are not the bench's (bench/healthz.sh).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { rawGet, startAcceptor, stopChild } from "./probe_cost.ts";
import { numberArg } from "./_number_arg.ts";
import type { Stall } from "./_stall_probe.ts";
import { threadCpu } from "./fleet/_proc.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const BOUNDS = [0.5, 1, 2, 4, 8, 16, Infinity];

function config(port: number, acceptPort: number, silentPort: number, probes: number): string {
  const lines = ["agent: { id: stalls }", `server: { listen: "127.0.0.1:${port}", limits: { maxConnections: 4096, idleTimeout: 60s } }`, "health: { degraded: 200 }", "log: { level: warn }", probes ? "probes:" : "probes: []"];
  for (let i = 0; i < probes; i++) {
    lines.push(i % 2
      ? `  - { name: to${i}, kind: tcp, target: "127.0.0.1:${silentPort}", interval: 1s, timeout: 500ms, critical: false, options: { tls: true, verify: false } }`
      : `  - { name: ok${i}, kind: tcp, target: "127.0.0.1:${acceptPort}", interval: 1s, timeout: 500ms, critical: true }`);
  }
  return lines.join("\n") + "\n";
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((res, rej) => execFile(cmd, args, { timeout: timeoutMs }, (e, o, err) => e ? rej(new Error(`Cannot run ${cmd}: ${err || e.message}`, { cause: e })) : res(o)));
}

async function main(argv: string[]) {
  let probes = 1000, seconds = 5, core = 0, base = 21100, wrk = true, root = ".", binary: string | undefined;
  const env: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const [k, v] = [argv[i], argv[i + 1]];
    const num = () => (i++, numberArg(k, v));
    if (k === "--probes") probes = num();
    else if (k === "--seconds") seconds = num();
    else if (k === "--core") core = num();
    else if (k === "--base-port") base = num();
    else if (k === "--no-wrk") wrk = false;
    else if (k === "--root") (root = v, i++);
    else if (k === "--binary") (binary = resolve(v), i++);
    else if (k === "--env") {
      const eq = v?.indexOf("=") ?? -1;
      if (eq < 1) throw new Error(`Cannot parse --env: expected NAME=VALUE, got ${JSON.stringify(v)}`);
      env[v.slice(0, eq)] = v.slice(eq + 1);
      i++;
    } else throw new Error(`Cannot parse arguments: unknown option ${k}`);
  }
  const dir = mkdtempSync(join(tmpdir(), "edgeprobe-stalls-"));
  const out = join(dir, "stalls.json");
  const [port, acceptPort, silentPort] = [base, base + 1, base + 2];
  const stopAccept = await startAcceptor(acceptPort), stopSilent = await startAcceptor(silentPort, true);
  writeFileSync(join(dir, "agent.yaml"), config(port, acceptPort, silentPort, probes));
  const cmd = binary
    ? [binary, "agent", "--config", join(dir, "agent.yaml")]
    : [process.execPath, "--preload", resolve("bench/_stall_probe.ts"), "cli/main.ts", "agent", "--config", join(dir, "agent.yaml")];
  const agent: ChildProcess = spawn("taskset", ["-c", String(core), ...cmd], {
    stdio: ["ignore", "ignore", "pipe"],
    cwd: root,
    env: { ...process.env, EDGEPROBE_STALL_OUT: out, BUN_JSC_logGC: "1", ...env },
  });
  // GC log lines, stamped as they arrive (JSC writes them unbuffered when the collection ends).
  const gc: Array<[number, string]> = [];
  let buf = "";
  agent.stderr!.on("data", (d) => {
    const at = performance.timeOrigin + performance.now();
    buf += d;
    for (let i; (i = buf.indexOf("\n")) >= 0; buf = buf.slice(i + 1)) gc.push([at, buf.slice(0, i)]);
  });
  try {
    const t0 = performance.now();
    while ((await rawGet(port, "/healthz"))?.status !== 200) {
      if (performance.now() - t0 > 20_000) throw new Error(`Cannot get 200 from the agent on port ${port} within 20 s`);
      await sleep(20);
    }
    await sleep(5000);
    const cpu0 = threadCpu(agent.pid!);
    const w0 = performance.timeOrigin + performance.now();
    const wrkOut = wrk
      ? await run("taskset", ["-c", String(core + 1), "wrk", "-t1", "-c32", `-d${seconds}s`, "--latency", `http://127.0.0.1:${port}/healthz`], (seconds + 30) * 1000)
      : (await sleep(seconds * 1000), "");
    const w1 = performance.timeOrigin + performance.now();
    const cpu1 = threadCpu(agent.pid!);
    await stopChild(agent);
    console.log(`${probes} probes, ${wrk ? `wrk -c32 ${seconds} s` : `no load, ${seconds} s`}${binary ? `, ${binary}` : ""}${Object.keys(env).length ? `, ${JSON.stringify(env)}` : ""}`);
    if (wrk) console.log(wrkOut.split("\n").filter((l) => /^\s+(50|90|99)%|Requests\/sec/.test(l)).map((l) => "  wrk " + l.trim()).join("\n"));
    const threadMs = Object.entries(cpu1).map(([t, c]) => [t, Math.round((c.user + c.system - (cpu0[t] ? cpu0[t].user + cpu0[t].system : 0)) * 1000)] as const);
    console.log(`  CPU ms by thread: ${threadMs.filter(([, ms]) => ms > 0).map(([t, ms]) => `${t} ${ms}`).join(", ")}`);
    const pauses = gc.filter(([at]) => at >= w0 && at <= w1).map(([, l]) => Number(/ p=([\d.]+)ms/.exec(l)?.[1])).filter((p) => p >= 0);
    const starts = gc.filter(([at, l]) => at >= w0 && at <= w1 && /: START /.test(l)).length;
    const sum = pauses.reduce((a, p) => a + p, 0);
    console.log(`  GC: ${starts} collections, ${pauses.length} pauses, ${sum.toFixed(1)} ms in all, ${pauses.filter((p) => p > 0.5).length} over 0.5 ms, longest ${Math.max(0, ...pauses).toFixed(2)} ms`);
    if (!existsSync(out)) return;
    const rec = JSON.parse(readFileSync(out, "utf8")) as { turns: number; socketCallbacksPerTurn: number[]; stalls: Stall[] };
    const w = rec.stalls.filter((s) => s.at >= w0 && s.at <= w1);
    const hist = BOUNDS.slice(1).map((hi, i) => `${BOUNDS[i]}-${hi === Infinity ? "" : hi} ms: ${w.filter((s) => s.ms >= BOUNDS[i] && s.ms < hi).length}`);
    const total = w.reduce((a, s) => a + s.ms, 0), js = w.reduce((a, s) => a + s.jsMs, 0);
    console.log(`  turns over 0.5 ms: ${w.length} (${hist.join(", ")}); ${total.toFixed(1)} ms in all, ${js.toFixed(1)} ms of it in timed callbacks`);
    const by = new Map<string, [number, number]>();
    for (const s of w) for (const [n, ms] of s.top) by.set(n, [(by.get(n)?.[0] ?? 0) + ms, (by.get(n)?.[1] ?? 0) + 1]);
    console.log("  callbacks over 0.05 ms in those turns (ms in all / turns):");
    for (const [n, [ms, k]] of [...by].sort((a, b) => b[1][0] - a[1][0]).slice(0, 8)) console.log(`    ${ms.toFixed(1)} / ${k}  ${n.slice(0, 90)}`);
    const spt = rec.socketCallbacksPerTurn;
    console.log(`  turns by socket callbacks run (whole run): ${spt.map((n, i) => n ? `${i}${i === spt.length - 1 ? "+" : ""}: ${n}` : "").filter(Boolean).join(", ")}`);
    console.log("  longest turns:");
    for (const s of [...w].sort((a, b) => b.ms - a.ms).slice(0, 6)) {
      console.log(`    ${s.ms.toFixed(2)} ms at +${(s.at - w0).toFixed(0)} ms, callbacks ${s.jsMs.toFixed(2)} ms, ${s.socketCallbacks} socket: ${s.top.map(([n, ms]) => `${ms.toFixed(2)} ${n.slice(0, 50)}`).join(" | ")}`);
    }
  } finally {
    await stopChild(agent);
    stopAccept();
    stopSilent();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  await main(process.argv.slice(2)).catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
  process.exit(0);
}
