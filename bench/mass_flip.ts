/**
 * @module What a mass state change costs the agent: N probes (default 1,000 and 5,000, all
 * critical, interval 1 s, fall 1) turn unhealthy together, as when the uplink that carries all
 * of them goes down. Each source tree runs in its own process (`--root`, given twice or more: the
 * trees take turns run by run), the agent started in-process from that tree's agent/agent.ts with
 * a probe kind whose answer the bench flips, on the system clock and the runtime's real port.
 * Measured per run, from the process's own `process.cpuUsage()`: the CPU of one steady interval
 * before the flip (the probes' own work), then the CPU from the flip until every probe has turned
 * unhealthy plus 300 ms (any coalesced answer published), and the excess of the latter over the
 * steady rate, which is the mass change's own cost. Each run also checks the final /healthz
 * answer: 503 naming all N probes.
 *
 *   bun bench/mass_flip.ts --root /tmp/main-tree --root .   # main's tree against this one
 *   bun bench/mass_flip.ts --probes 1000,5000 --rounds 3 --runtime bun
 *
 * Prints one line per run, then per probe count the median excess CPU of each tree and the ratio
 * of the first tree's median to each tree's. Also printed: the CPU from the start until every
 * probe's first result (N probes leaving `unknown` together is a mass change too; it includes
 * building the probes and the port) and the number of answers published during the flip, where
 * the tree counts them (AgentDeps.onPublish).
 */
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { numberArg } from "./_number_arg.ts";

interface RunFigures {
  readonly root: string;
  readonly probes: number;
  /** Wall ms from the flip to the last probe's state change. */
  readonly spreadMs: number;
  /** CPU ms from the flip until 300 ms after the last state change. */
  readonly cpuMs: number;
  /** CPU ms the same window costs at the steady rate measured before the flip. */
  readonly steadyMs: number;
  readonly extraMs: number;
  readonly healthzStatus: number;
  readonly listed: number;
  /** CPU ms from startAgent() until every probe's first result made it healthy (a mass change too). */
  readonly startCpuMs: number;
  /** Answers published during the flip window (trees with AgentDeps.onPublish; else undefined). */
  readonly publishes?: number;
}

const args = process.argv.slice(2);
const values = (flag: string) => args.flatMap((a, i) => (a === flag ? [args[i + 1]] : []));
const one = (flag: string) => values(flag).at(-1);

if (args.includes("--child")) await child();
else parent();

function parent() {
  const roots = values("--root").map((r) => resolve(r));
  if (!roots.length) roots.push(resolve("."));
  const counts = (one("--probes") ?? "1000,5000").split(",").map((v) => numberArg("--probes", v));
  const rounds = numberArg("--rounds", one("--rounds") ?? "3");
  const runtime = one("--runtime") ?? "bun";
  const self = new URL(import.meta.url).pathname;
  const all: RunFigures[] = [];
  for (const probes of counts) {
    for (let r = 0; r < rounds; r++) {
      // Taking turns: A B, then B A, so a drift of the machine's load is shared.
      const order = r % 2 ? [...roots].reverse() : roots;
      for (const root of order) {
        const bin = (name: string) => resolve(new URL("..", import.meta.url).pathname, "node_modules/.bin", name);
        const cmd = runtime === "deno" ? [bin("deno"), ["run", "-A", "--no-check", self]] as const : [bin("bun"), [self]] as const;
        const out = spawnSync(cmd[0], [...cmd[1], "--child", "--root", root, "--probes", String(probes)], { encoding: "utf8", timeout: 120_000 });
        if (out.error) throw new Error(`Cannot start ${cmd[0]}: ${out.error.message}`, { cause: out.error });
        const line = out.stdout.trim().split("\n").at(-1) ?? "";
        if (out.status !== 0 || !line.startsWith("{")) throw new Error(`Cannot run the mass flip in ${root}: exit ${out.status}`, { cause: out.stderr });
        const f = JSON.parse(line) as RunFigures;
        all.push(f);
        console.log(`${probes} probes  ${root}: spread ${f.spreadMs.toFixed(0)} ms, CPU ${f.cpuMs.toFixed(1)} ms (steady ${f.steadyMs.toFixed(1)}), excess ${f.extraMs.toFixed(1)} ms; first cycle ${f.startCpuMs.toFixed(0)} ms; ${f.publishes ?? "?"} publishes; /healthz ${f.healthzStatus} naming ${f.listed}`);
      }
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`\nmedians over ${rounds} runs (${runtime}); ratio = first tree's excess / this tree's`);
  for (const probes of counts) {
    const base = median(all.filter((f) => f.probes === probes && f.root === roots[0]).map((f) => f.extraMs));
    for (const root of roots) {
      const mine = all.filter((f) => f.probes === probes && f.root === root);
      const extra = median(mine.map((f) => f.extraMs));
      const cpu = median(mine.map((f) => f.cpuMs));
      const start = median(mine.map((f) => f.startCpuMs));
      console.log(`${String(probes).padStart(5)} probes  ${root}: flip excess CPU ${extra.toFixed(1)} ms (window ${cpu.toFixed(1)} ms), ratio ${(base / extra).toFixed(2)}x; first cycle CPU ${start.toFixed(0)} ms`);
    }
  }
}

async function child() {
  const root = resolve(one("--root") ?? ".");
  const n = numberArg("--probes", one("--probes"));
  const { startAgent } = await import(`${root}/agent/agent.ts`);
  const { parseAgentConfig } = await import(`${root}/agent/config.ts`);
  const { systemClock } = await import(`${root}/runtime/clock.ts`);
  const { nodeNet } = await import(`${root}/runtime/node_net.ts`);
  const { z } = await import("zod");
  let failing = false;
  const ok = { ok: true, latencyMs: 0.1 };
  const bad = { ok: false, failure: { kind: "refused", message: "connection refused" } };
  const kind = {
    kind: "tcp",
    summary: "bench",
    options: z.strictObject({}),
    create: () => ({ run: () => Promise.resolve(failing ? bad : ok), close: () => Promise.resolve() }),
  };
  let unhealthy = 0;
  let healthy = 0;
  let lastChangeAt = 0;
  let publishes = 0;
  const sink = {
    emit(e: { type: string; to?: string }) {
      if (e.type !== "state-change") return;
      if (e.to === "healthy") healthy++;
      if (e.to === "unhealthy") {
        unhealthy++;
        lastChangeAt = performance.now();
      }
    },
  };
  const probes = Array.from({ length: n }, (_, i) => ({ name: `gnb-${String(i).padStart(5, "0")}-n3`, kind: "tcp", target: "127.0.0.1:9", interval: "1s", timeout: "500ms", jitter: 0, fall: 1, rise: 1 }));
  const cfg = parseAgentConfig({ server: { listen: "127.0.0.1:0" }, probes }, "bench", { env: {}, hostname: "bench" });
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const until = async (done: () => boolean, what: string) => {
    const deadline = performance.now() + 30_000;
    while (!done() && performance.now() < deadline) await sleep(20);
    if (!done()) throw new Error(`Cannot finish ${what}: not done after 30 s`);
  };
  const started = cpu();
  const agent = await startAgent(cfg, {
    clock: systemClock,
    net: nodeNet,
    log: () => {},
    version: "bench",
    runtime: "bench",
    target: "bench",
    kinds: { tcp: kind },
    createSinks: () => [sink],
    onPublish: () => void publishes++,
  });
  try {
    await until(() => healthy >= n, "the first cycle");
    const startCpuMs = cpu() - started;
    // The spread cycles have begun and the first cycle's garbage is collected.
    await sleep(1500);
    const s0 = cpu(), w0 = performance.now();
    await sleep(1000);
    const steadyRate = (cpu() - s0) / (performance.now() - w0);
    failing = true;
    const p0 = publishes;
    const c0 = cpu(), t0 = performance.now();
    await until(() => unhealthy >= n, "the flip");
    await sleep(300);
    const cpuMs = cpu() - c0;
    const windowMs = performance.now() - t0;
    const res = await fetch(`http://127.0.0.1:${agent.port}/healthz`);
    const body = await res.json() as { failingProbes?: string[] };
    const steadyMs = steadyRate * windowMs;
    const figures: RunFigures = {
      root,
      probes: n,
      spreadMs: lastChangeAt - t0,
      cpuMs,
      steadyMs,
      extraMs: cpuMs - steadyMs,
      healthzStatus: res.status,
      listed: body.failingProbes?.length ?? 0,
      startCpuMs,
      ...(publishes ? { publishes: publishes - p0 } : {}),
    };
    console.log(JSON.stringify(figures));
  } finally {
    await agent.stop("bench", AbortSignal.timeout(5000));
  }
  process.exit(0);
}
