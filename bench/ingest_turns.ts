/**
 * In-process ingest of this tree against a reference tree, taking turns (docs/benchmarks.md).
 *
 *   flock /tmp/edgeprobe-heavy.lock bun bench/ingest_turns.ts --base DIR [--pairs 3] [--case steady|burst|catchup]
 *
 * DIR is another checkout of edgeprobe (for example `git archive main | tar -x -C DIR`, with its
 * node_modules linked). Each run is a fresh `bun` process calling that tree's
 * bench/fleet/in_process.ts `inProcessIngest`, so neither tree warms the other's JIT; the two
 * alternate (base first in odd pairs, this tree first in even ones) so a machine that gets
 * busier or quieter during the run weighs on both. Prints every run, the medians and their ratio.
 *
 * Cases: "steady" (200 agents × 60 rounds of 5 s batches, nodes written as they go with a 175 ms
 * checkpoint interval: one node write per ~3 batches, as a collector writing every 15 s does with
 * 5 s agents), "warm" (the same after 30 rounds not measured: the runtime's JIT compiles during
 * those), "long" (200 agents × 210 rounds, 90 not measured: 10 minutes of agent time measured
 * after 7.5, so the JIT threads are mostly done and the close's writes of every open hour and day
 * weigh as 1 in 120 rounds instead of 1 in 60), "burst" (2,000 agents × 6 rounds, nodes written at close), "catchup" (600 agents ×
 * 4 rounds of 60 s batches), "restart" (steady, and then the journal a kill at the end leaves
 * and the time to open the store on it).
 *
 * Both trees run this tree's harness: it is copied into DIR/bench/fleet/_in_process_turns.ts
 * (and _proc_turns.ts), so only the code under test differs.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { numberArg } from "./_number_arg.ts";

const HERE = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const arg = (flag: string) => (process.argv.includes(flag) ? process.argv[process.argv.indexOf(flag) + 1] : undefined);
const base = arg("--base");
if (!base) throw new Error("Cannot compare: no --base DIR given (another checkout of edgeprobe)");
const pairs = numberArg("--pairs", arg("--pairs") ?? "3");
const kase = arg("--case") ?? "steady";
const CASES: Record<string, string> = { steady: "200, 60, 5000, 175", warm: "200, 90, 5000, 175, 30", long: "200, 210, 5000, 175, 90", restart: "200, 60, 5000, 175, 0, true", burst: "2000, 6", catchup: "600, 4, 60000" };
if (!CASES[kase]) throw new Error(`Cannot run case ${JSON.stringify(kase)}: one of ${Object.keys(CASES).join(", ")}`);

interface Run {
  readonly recordsPerCpuSec: number;
  readonly usPerBatch: number;
  readonly recordsPerBatch: number;
  readonly afterKill?: { journalRows: number; journalRecords: number; reopenMs: number };
}

// Both trees run this tree's harness (bench/fleet/in_process.ts), copied beside the base's own:
// the code under test differs, the way it is driven does not.
const harness = join(resolve(base), "bench/fleet/_in_process_turns.ts");
fs.writeFileSync(harness, fs.readFileSync(join(HERE, "bench/fleet/in_process.ts")));
fs.writeFileSync(join(resolve(base), "bench/fleet/_proc_turns.ts"), fs.readFileSync(join(HERE, "bench/fleet/_proc.ts")));
fs.writeFileSync(harness, fs.readFileSync(harness, "utf8").replace('from "./_proc.ts"', 'from "./_proc_turns.ts"'));

function once(tree: string): Run {
  const file = tree === HERE ? join(tree, "bench/fleet/in_process.ts") : harness;
  const src = `const { inProcessIngest } = await import(${JSON.stringify(file)});
console.log(JSON.stringify(await inProcessIngest(${CASES[kase]})));`;
  const r = spawnSync(process.execPath, ["-e", src], { cwd: tree, encoding: "utf8", timeout: 300_000 });
  if (r.status !== 0) throw new Error(`Cannot run the in-process bench in ${tree}: ${r.stderr || r.error?.message}`);
  const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as Run;
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const runs: { base: Run[]; head: Run[] } = { base: [], head: [] };
const started = new Date().toISOString();
const load0 = loadavg()[0];
for (let i = 0; i < pairs; i++) {
  const order: ("base" | "head")[] = i % 2 === 0 ? ["base", "head"] : ["head", "base"];
  for (const which of order) {
    const r = once(which === "base" ? resolve(base) : HERE);
    runs[which].push(r);
    console.log(`${which.padEnd(4)} ${String(r.recordsPerCpuSec).padStart(8)} records per CPU-s  ${r.usPerBatch} µs per batch  ${r.recordsPerBatch} records per batch${r.afterKill ? `  after a kill: ${r.afterKill.journalRows} journal rows (${r.afterKill.journalRecords} records) replayed in ${r.afterKill.reopenMs} ms` : ""}`);
  }
}
const mb = median(runs.base.map((r) => r.recordsPerCpuSec)), mh = median(runs.head.map((r) => r.recordsPerCpuSec));
console.log(JSON.stringify({
  case: kase, started, loadavg: [load0, loadavg()[0]].map((x) => +x.toFixed(2)),
  base: runs.base.map((r) => r.recordsPerCpuSec), head: runs.head.map((r) => r.recordsPerCpuSec),
  medianBase: mb, medianHead: mh, ratio: +(mh / mb).toFixed(3),
}));
