/**
 * bench:reads — what a heavy read costs the collector's ingest thread, and the fleet API's p99
 * while 20 clients hammer the heaviest read (docs/security.md "Bounded reads").
 *
 *   npm run bench:reads [-- --quick]
 *
 * In-process: a store seeded with 3 nodes × 29 days of one probe (one result a minute: 41,760
 * minute rows per node, with their hour and day rollups), each read run 10 times with the read
 * thread off (on the ingest thread, as before) and on. "main ms/read" is the CPU the store's own
 * thread spent (utime+stime of that thread from /proc/self/task/<pid>/stat, 10 ms ticks, so over
 * all 10 reads), "wall ms/read" the time to the answer.
 * Process: a real collector on that file (a free port); the fleet API's p99 over 300 paced GETs
 * idle, then while 20 clients (a process of their own at nice 19: an attacker's clients run on
 * other machines) ask for the heaviest admitted read back to back; read thread off and on.
 */
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { openSqliteStore } from "../collector/sqlite_store.ts";
import { seedHistory } from "./_history_seed.ts";
import { startCollectorProcess } from "./fleet/_proc.ts";

const quick = process.argv.includes("--quick");
const ROOT = new URL("../", import.meta.url).pathname;
const TOKEN = "bench-reads-token-0123456789ab";
const HOUR = 3_600_000;

/** CPU seconds of this process's main thread (its tid is the pid; proc(5), USER_HZ = 100). */
function mainThreadCpuMs(): number {
  const f = fs.readFileSync(`/proc/${process.pid}/task/${process.pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** CPU ms of a process's threads by kind: its main thread (tid = pid), the read Worker, the
 * garbage collector's helpers (JSC "HeapHelper", not niced with the Worker), and the rest. */
function threadsCpuMs(pid: number): Record<"main" | "worker" | "gc" | "others", number> {
  const out = { main: 0, worker: 0, gc: 0, others: 0 };
  for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
    let f: string[], comm: string;
    try {
      f = fs.readFileSync(`/proc/${pid}/task/${t}/stat`, "utf8").split(") ")[1].split(" ");
      comm = fs.readFileSync(`/proc/${pid}/task/${t}/comm`, "utf8").trim();
    } catch {
      continue; // the thread ended meanwhile
    }
    const ms = (Number(f[11]) + Number(f[12])) * 10;
    out[Number(t) === pid ? "main" : comm === "Worker" ? "worker" : comm === "HeapHelper" ? "gc" : "others"] += ms;
  }
  return out;
}

/** ms the process's main thread spent runnable but waiting for a CPU (proc(5) schedstat, field 2). */
function mainRunDelayMs(pid: number): number {
  return Number(fs.readFileSync(`/proc/${pid}/task/${pid}/schedstat`, "utf8").split(" ")[1]) / 1e6;
}

const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))];

const dir = fs.mkdtempSync(join(tmpdir(), "ep-bench-reads-"));
const db = join(dir, "collector.db");
const seeded = await seedHistory({ path: db, nodes: 3, days: 29 });
console.log(`seeded ${seeded.records} records in ${(seeded.ms / 1000).toFixed(1)} s`);

const now = Date.now();
const month = { from: now - 720 * HOUR, to: now };
const twoDays = { from: now - 48 * HOUR, to: now };
type S = Awaited<ReturnType<typeof openSqliteStore>>;
const READS: [string, (s: S) => Promise<unknown>][] = [
  ["history 720h step 5m (41,760 minute rows, 8,352 points)", (s) => s.historyBody!("hist-0", "p0", month, 300_000)],
  ["history 720h step 1h (720 hour rows)", (s) => s.historyBody!("hist-0", "p0", month, HOUR)],
  ["latency 3 named nodes 48h (8,640 minute rows)", (s) => s.latencyBody!("p0", twoDays, ["hist-0", "hist-1", "hist-2"])],
  ["latency whole fleet 720h (720 fleet hour rows)", (s) => s.latencyBody!("p0", month)],
  ["latency whole fleet 30m", (s) => s.latencyBody!("p0", { from: now - 1_800_000, to: now })],
];
const N = quick ? 4 : 10;
const inProcess: Record<string, Record<string, number>> = {};
const threadOnly = process.argv.includes("--thread-only");
for (const readThread of threadOnly ? [] : [false, true]) {
  const s = await openSqliteStore({ path: db, readThread, onReadThreadError: (e) => console.log(`read thread: ${e.message}`) });
  await READS[0][1](s); // start the thread and warm the page cache
  for (const [name, read] of READS) {
    const cpu0 = mainThreadCpuMs(), t0 = performance.now();
    for (let i = 0; i < N; i++) await read(s);
    const row = (inProcess[name] ??= {});
    row[readThread ? "mainMsThread" : "mainMsInline"] = (mainThreadCpuMs() - cpu0) / N;
    row[readThread ? "wallMsThread" : "wallMsInline"] = (performance.now() - t0) / N;
  }
  await s.close();
}
if (!threadOnly) console.log("\nCPU of the ingest thread per read (ms), read thread off → on; wall ms per read off → on");
for (const [name, r] of Object.entries(inProcess)) {
  console.log(`  ${name.padEnd(58)} main ${r.mainMsInline.toFixed(1).padStart(6)} → ${r.mainMsThread.toFixed(1).padStart(5)}   wall ${r.wallMsInline.toFixed(1).padStart(6)} → ${r.wallMsThread.toFixed(1).padStart(6)}`);
}

const fleetP99 = async (url: string, n: number) => {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await fetch(`${url}/api/v1/fleet`, { headers: { authorization: `Bearer ${TOKEN}` } });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`Cannot read the fleet: ${res.status}`);
    xs.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 10));
  }
  return p99(xs);
};

console.log("\nfleet API p99 (ms), idle → 20 clients hammering history 720h step 5m");
const proc: Record<string, unknown> = {};
for (const readThread of threadOnly ? [true] : [false, true]) {
  const c = await startCollectorProcess(dir, `reads-${readThread}`, 0, [
    `auth: { sharedToken: "${TOKEN}", apiTokens: { noc: { token: "${TOKEN}" }, hammer: { token: "${TOKEN}x" } } }`,
    `store: { path: "${db}", readThread: ${readThread} }`,
  ].join("\n") + "\n");
  try {
    await fleetP99(c.url, 50);
    const iw0 = mainRunDelayMs(c.child.pid!), it0 = performance.now();
    const idle = await fleetP99(c.url, quick ? 100 : 300);
    const idleRunDelay = +((mainRunDelayMs(c.child.pid!) - iw0) / ((performance.now() - it0) / 1000)).toFixed(1);
    const hammer = spawn("nice", ["-n", "19", process.execPath, "tests/collector/_hammer.ts", JSON.stringify({ url: c.url, token: `${TOKEN}x`, clients: 20, ms: quick ? 6000 : 12_000, path: `/api/v1/nodes/hist-0/probes/p0/history?from=-720h&step=5m` })], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    const exited = new Promise((r) => hammer.on("exit", r));
    let out = "";
    hammer.stdout!.on("data", (d: Buffer) => void (out += d.toString()));
    await new Promise((r) => setTimeout(r, 1000));
    const cpu0 = threadsCpuMs(c.child.pid!), wait0 = mainRunDelayMs(c.child.pid!), t0 = performance.now();
    const busy = await fleetP99(c.url, quick ? 100 : 300);
    const cpu1 = threadsCpuMs(c.child.pid!), secs = (performance.now() - t0) / 1000;
    const pct = (k: keyof typeof cpu0) => Math.round((cpu1[k] - cpu0[k]) / secs / 10);
    const share = { mainThreadPct: pct("main"), workerPct: pct("worker"), gcHelperPct: pct("gc"), otherThreadsPct: pct("others"), mainRunDelayMsPerS: +((mainRunDelayMs(c.child.pid!) - wait0) / secs).toFixed(1) };
    await exited;
    // Idle again after the hammer: how far two idle p99s differ on this machine (the noise).
    const idle2 = await fleetP99(c.url, quick ? 100 : 300);
    proc[readThread ? "thread" : "inline"] = { idleP99: +idle.toFixed(2), idleAgainP99: +idle2.toFixed(2), hammerP99: +busy.toFixed(2), ratio: +(busy / idle).toFixed(2), idleRunDelayMsPerS: idleRunDelay, hammer: JSON.parse(out.trim() || "{}"), ...share };
    console.log(`  read thread ${readThread ? "on " : "off"}: ${idle.toFixed(2)} → ${busy.toFixed(2)} ms (${(busy / idle).toFixed(2)}×; goal ≤ 2×), idle again ${idle2.toFixed(2)} ms; hammer answers by status ${out.trim()}; collector CPU under the hammer: main thread ${share.mainThreadPct} %, read worker ${share.workerPct} %, GC helper ${share.gcHelperPct} %, others ${share.otherThreadsPct} %; main thread waited for a CPU ${share.mainRunDelayMsPerS} ms/s (idle ${idleRunDelay})`);
  } finally {
    await c.stop();
  }
}
fs.mkdirSync(join(ROOT, "bench/out"), { recursive: true });
fs.writeFileSync(join(ROOT, "bench/out/reads.json"), JSON.stringify({ date: new Date().toISOString(), inProcess, process: proc }, null, 2));
fs.rmSync(dir, { recursive: true, force: true });
