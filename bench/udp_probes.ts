/**
 * Benchmark of the UDP probe engine (issue 3), not a test: `npm run bench:udp` (Bun) or
 * `deno run -A bench/udp_probes.ts`.
 *
 * Against one local responder (`edgeprobe reflect gtpu` in its own process, so its CPU is not
 * counted), in one run:
 *   1. paced: 1,000 GTP-U probe instances (one socket each), every instance once per second,
 *      spread evenly; timer lateness = how late each run started against its plan;
 *   2. saturation: C instances each running back-to-back for a few seconds;
 * and the same two shapes with a minimal raw node:dgram send/receive loop (the floor).
 * CPU is process.cpuUsage() of this process; "per core" = exchanges per CPU-second.
 *
 * Flags: --probes 1000 --seconds 10 --saturation-seconds 5 --concurrency 64 --port 20152
 */
import { spawn } from "node:child_process";
import dgram from "node:dgram";
import { parseArgs } from "../cli/args.ts";
import { runProbe } from "../probes/run_probe.ts";
import { systemClock } from "../runtime/clock.ts";
import { detectRuntime, runtimeVersion } from "../runtime/detect.ts";
import { nodeNet } from "../runtime/node_net.ts";
import { encodeEchoRequest, gtpu, gtpuOptions } from "../probes/gtpu/mod.ts";
import type { ProbeEnv, ProbeInstance } from "../probes/types.ts";

const { flags } = parseArgs(process.argv.slice(2));
const num = (k: string, d: number) => (flags[k] === undefined ? d : Number(flags[k]));
const PROBES = num("probes", 1000);
const SECONDS = num("seconds", 10);
const SAT_SECONDS = num("saturationSeconds", 5);
const CONCURRENCY = num("concurrency", 64);
const PORT = num("port", 20152);
const HOST = "127.0.0.1";
const env: ProbeEnv = { net: nodeNet, now: () => Date.now(), log: () => {} };

interface Exchanger {
  /** One request/response; resolves true when answered. */
  exchange(): Promise<boolean>;
  close(): Promise<void> | void;
}

interface Figures {
  readonly exchanges: number;
  readonly failures: number;
  readonly wallS: number;
  readonly cpuUs: number;
  readonly lateness?: { p50: number; p99: number; max: number };
}

/** The engine as the agent drives it: ProbeInstance.run under runProbe (timeout signal, classification). */
function engineExchanger(): Exchanger {
  const p: ProbeInstance = gtpu.create({ name: "bench", target: `${HOST}:${PORT}`, intervalMs: 1000, timeoutMs: 1000, options: gtpuOptions.parse({}) }, env);
  return {
    exchange: async () => (await runProbe(p, 1000, systemClock)).ok,
    close: () => p.close(),
  };
}

/** The engine without the agent's wrapper: run() under one long-lived signal (no per-run timeout signal). */
function engineRunOnlyExchanger(signal: AbortSignal): () => Exchanger {
  return () => {
    const p: ProbeInstance = gtpu.create({ name: "bench", target: `${HOST}:${PORT}`, intervalMs: 1000, timeoutMs: 1000, options: gtpuOptions.parse({}) }, env);
    return {
      exchange: async () => (await p.run(signal)).ok,
      close: () => p.close(),
    };
  };
}

/** The floor: a connected node:dgram socket, a pre-encoded request with the sequence patched in. */
async function rawExchanger(): Promise<Exchanger> {
  const s = dgram.createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, HOST, () => r()));
  await new Promise<void>((r) => s.connect(PORT, HOST, () => r()));
  const req = encodeEchoRequest({ sequence: 1 });
  let seq = 1;
  let waiting: ((ok: boolean) => void) | undefined;
  s.on("message", (m) => {
    // Match on the echoed sequence (octets 9-10), as the engine does.
    if (waiting && ((m[8] << 8) | m[9]) === seq) {
      const w = waiting;
      waiting = undefined;
      w(true);
    }
  });
  s.on("error", () => waiting?.(false));
  return {
    exchange() {
      seq = (seq % 0xffff) + 1;
      req[8] = seq >> 8;
      req[9] = seq & 0xff;
      return new Promise<boolean>((resolve) => {
        const t = setTimeout(() => {
          waiting = undefined;
          resolve(false);
        }, 1000);
        waiting = (ok) => {
          clearTimeout(t);
          resolve(ok);
        };
        s.send(req);
      });
    },
    close: () => void s.close(),
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** N exchangers, each once per second at its own phase; lateness measured per run. */
async function paced(make: () => Promise<Exchanger> | Exchanger): Promise<Figures> {
  const xs = await Promise.all(Array.from({ length: PROBES }, () => make()));
  // Warm-up: one exchange each, not measured.
  await Promise.all(xs.map((x) => x.exchange()));
  const lateness: number[] = [];
  let exchanges = 0, failures = 0;
  const t0 = performance.now() + 100;
  const cpu0 = process.cpuUsage();
  await Promise.all(xs.map((x, i) =>
    new Promise<void>((done) => {
      let k = 0;
      const phase = (i * 1000) / PROBES;
      const schedule = () => {
        if (k >= SECONDS) return done();
        const planned = t0 + phase + k * 1000;
        setTimeout(async () => {
          lateness.push(performance.now() - planned);
          k++;
          // A fixed-rate schedule: the next plan does not depend on this run's duration.
          schedule();
          if (await x.exchange()) exchanges++;
          else failures++;
        }, Math.max(0, planned - performance.now()));
      };
      schedule();
    })
  ));
  // Let the last runs finish.
  await new Promise((r) => setTimeout(r, 50));
  const cpu = process.cpuUsage(cpu0);
  const wallS = (performance.now() - t0) / 1000;
  await Promise.all(xs.map((x) => x.close()));
  lateness.sort((a, b) => a - b);
  return {
    exchanges,
    failures,
    wallS,
    cpuUs: cpu.user + cpu.system,
    lateness: { p50: percentile(lateness, 50), p99: percentile(lateness, 99), max: lateness[lateness.length - 1] ?? 0 },
  };
}

/** C exchangers back-to-back for SAT_SECONDS. */
async function saturation(make: () => Promise<Exchanger> | Exchanger): Promise<Figures> {
  const xs = await Promise.all(Array.from({ length: CONCURRENCY }, () => make()));
  await Promise.all(xs.map((x) => x.exchange()));
  let exchanges = 0, failures = 0;
  const t0 = performance.now();
  const end = t0 + SAT_SECONDS * 1000;
  const cpu0 = process.cpuUsage();
  await Promise.all(xs.map(async (x) => {
    while (performance.now() < end) {
      if (await x.exchange()) exchanges++;
      else failures++;
    }
  }));
  const cpu = process.cpuUsage(cpu0);
  const wallS = (performance.now() - t0) / 1000;
  await Promise.all(xs.map((x) => x.close()));
  return { exchanges, failures, wallS, cpuUs: cpu.user + cpu.system };
}

function row(name: string, f: Figures): string {
  const perWall = f.exchanges / f.wallS;
  const perCore = f.exchanges / (f.cpuUs / 1e6);
  const cpuPer = f.cpuUs / f.exchanges;
  const late = f.lateness ? `${f.lateness.p50.toFixed(2).padStart(7)} ${f.lateness.p99.toFixed(2).padStart(7)} ${f.lateness.max.toFixed(2).padStart(8)}` : `${"-".padStart(7)} ${"-".padStart(7)} ${"-".padStart(8)}`;
  return `${name.padEnd(22)} ${String(f.exchanges).padStart(8)} ${String(f.failures).padStart(6)} ${perWall.toFixed(0).padStart(9)} ${perCore.toFixed(0).padStart(10)} ${cpuPer.toFixed(1).padStart(8)}  ${late}`;
}

async function startReflector(): Promise<() => Promise<void>> {
  const args = detectRuntime() === "deno" ? ["run", "-A", "cli/main.ts"] : ["cli/main.ts"];
  const child = spawn(process.execPath, [...args, "reflect", "gtpu", "--listen", `${HOST}:${PORT}`], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (b) => {
      out += b;
      if (out.includes("listening on")) resolve();
    });
    child.once("exit", (c) => reject(new Error(`Cannot start the reflector: it exited with ${c}`)));
  });
  return async () => {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  };
}

const stop = await startReflector();
try {
  console.log(`# UDP probe engine bench: ${runtimeVersion()}, GTP-U echo against \`reflect gtpu\` on ${HOST}:${PORT} (separate process)`);
  console.log(`# paced: ${PROBES} probes × 1/s for ${SECONDS}s; saturation: ${CONCURRENCY} concurrent for ${SAT_SECONDS}s`);
  const results: Array<[string, Figures]> = [];
  results.push(["paced raw dgram", await paced(rawExchanger)]);
  results.push(["paced engine", await paced(engineExchanger)]);
  results.push(["saturation raw dgram", await saturation(rawExchanger)]);
  results.push(["saturation engine", await saturation(engineExchanger)]);
  const forever = new AbortController();
  results.push(["saturation engine run()", await saturation(engineRunOnlyExchanger(forever.signal))]);
  console.log(`${"run".padEnd(22)} ${"exch".padStart(8)} ${"fail".padStart(6)} ${"exch/s".padStart(9)} ${"exch/cpu-s".padStart(10)} ${"cpu µs".padStart(8)}  ${"late50".padStart(7)} ${"late99".padStart(7)} ${"lateMax".padStart(8)}`);
  for (const [n, f] of results) console.log(row(n, f));
  const ratio = (a: Figures, b: Figures) => (a.cpuUs / a.exchanges) / (b.cpuUs / b.exchanges);
  console.log(`# CPU per exchange, engine ÷ raw: paced ${ratio(results[1][1], results[0][1]).toFixed(2)}x, saturation ${ratio(results[3][1], results[2][1]).toFixed(2)}x, saturation run() only ${ratio(results[4][1], results[2][1]).toFixed(2)}x (goal ≤ 1.5x)`);
} finally {
  await stop();
}
