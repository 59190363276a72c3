/**
 * @module What each layer of a `tcp` probe run costs, from a bare `Bun.connect` up to the
 * scheduler: the floor under `bench/probe_cost.ts`'s figure. This file is compiled the way the
 * binary is (`--compile-jit-policy=10000`, so its JavaScript stays in the interpreter as the
 * agent's does, docs/binary.md), then each layer runs alone on one core at 1,000 connects a
 * second (10 per 10 ms slot, one per event-loop turn, as the scheduler starts runs) to an
 * accepting listener in another process on the other core; CPU (user + system) per connect over
 * the window. The layers take turns, round by round.
 *
 *   bun bench/probe_layers.ts                     # every layer, 3 rounds of 5 s
 *   bun bench/probe_layers.ts --layers bare,run   # some of them
 *
 * Layers (each includes the one before unless said):
 * - `bare`: `Bun.connect` + `terminate()` in its promise's reaction (the floor of any Bun probe);
 * - `net`: through `bunNet.tcp` (runtime/bun_net.ts) with a signal that never aborts;
 * - `port`: and the local port read (a `tcp` probe's `localPort` fact: a getsockname);
 * - `signal`: and an `AbortController` per connect, the signal handed to `bunNet.tcp`;
 * - `timer`: and a `setTimeout` + `clearTimeout` per connect (a deadline);
 * - `probe`: the `tcp` kind's `run()` (probes/tcp/mod.ts) with a controller and a timer;
 * - `run`: `startProbeRun()` (probes/run_probe.ts) with the real clock;
 * - `sched`: the agent's scheduler (agent/scheduler.ts, spread, 1,000 loops of 1 s) alone.
 * Options: --layers a,b --rounds R --seconds S --port P (the listener; default 21990).
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setImmediate } from "node:timers";
import { bunNet } from "../runtime/bun_net.ts";
import { systemClock } from "../runtime/clock.ts";
import { startProbeRun } from "../probes/run_probe.ts";
import { tcp } from "../probes/tcp/mod.ts";
import { createScheduler } from "../agent/scheduler.ts";
import { numberArg } from "./_number_arg.ts";
import { startAcceptor } from "./probe_cost.ts";

const LAYERS = ["bare", "net", "port", "signal", "timer", "probe", "run", "sched"] as const;
type Layer = typeof LAYERS[number];

/** In the compiled child: run one layer for `seconds` after 2 s of warm-up, print one JSON line. */
async function measureLayer(layer: Layer, port: number, seconds: number) {
  let done = 0;
  const noop = () => {};
  const bun = (globalThis as unknown as { Bun: { connect(o: unknown): Promise<{ terminate(): void }> } }).Bun;
  const handlers = { open: noop, data: noop, close: noop, error: noop, connectError: noop, drain: noop };
  const never = new AbortController().signal;
  const target = { host: "127.0.0.1", port, close: "reset" as const };
  const instance = tcp.create(
    { name: "layer", target: `127.0.0.1:${port}`, intervalMs: 1000, timeoutMs: 500, options: tcp.options.parse({}) },
    { net: bunNet, now: () => Date.now(), log: noop },
  );
  const count = () => void done++;
  const op: Record<Exclude<Layer, "sched">, () => void> = {
    bare: () => void bun.connect({ hostname: "127.0.0.1", port, socket: handlers }).then((s) => (s.terminate(), done++)),
    net: () => void bunNet.tcp(target, never).then((c) => (c.close(), done++)),
    port: () => void bunNet.tcp(target, never).then((c) => (c.local.port, c.close(), done++)),
    signal: () => void bunNet.tcp(target, new AbortController().signal).then((c) => (c.local.port, c.close(), done++)),
    timer: () => {
      const ctrl = new AbortController();
      const t = setTimeout(() => ctrl.abort(), 500);
      bunNet.tcp(target, ctrl.signal).then((c) => (clearTimeout(t), c.local.port, c.close(), done++));
    },
    probe: () => {
      const ctrl = new AbortController();
      const t = setTimeout(() => ctrl.abort(), 500);
      instance.run(ctrl.signal).then(() => (clearTimeout(t), done++));
    },
    run: () => void startProbeRun(instance, 500, systemClock, count),
  };
  if (layer === "sched") {
    const s = createScheduler({ clock: systemClock, spread: true, onResult: count });
    for (let i = 0; i < 1000; i++) s.add({ name: `p${i}`, intervalMs: 1000, timeoutMs: 500, jitter: 0, instance });
  } else {
    const f = op[layer];
    setInterval(() => {
      let n = 10;
      const step = () => {
        f();
        if (--n > 0) setImmediate(step);
      };
      step();
    }, 10);
  }
  await new Promise((r) => setTimeout(r, 2000));
  const c0 = process.cpuUsage(), d0 = done;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const c = process.cpuUsage(c0), n = done - d0;
  console.log(JSON.stringify({ layer, us: (c.user + c.system) / n, userUs: c.user / n, systemUs: c.system / n, connects: n }));
  process.exit(0);
}

async function main(argv: string[]) {
  let layers: Layer[] = [...LAYERS], rounds = 3, seconds = 5, port = 21990;
  for (let i = 0; i < argv.length; i++) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (k === "--layers") {
      layers = v.split(",") as Layer[];
      for (const l of layers) if (!LAYERS.includes(l)) throw new Error(`Cannot parse --layers: unknown layer ${JSON.stringify(l)} (${LAYERS.join(", ")})`);
      i++;
    } else if (k === "--rounds") (rounds = numberArg(k, v), i++);
    else if (k === "--seconds") (seconds = numberArg(k, v), i++);
    else if (k === "--port") (port = numberArg(k, v), i++);
    else if (k === "--child") return measureLayer(v as Layer, numberArg("--port", argv[i + 2]), numberArg("--seconds", argv[i + 3]));
    else if (k === "--acceptor") {
      await startAcceptor(numberArg(k, v));
      return console.log("ready");
    } else throw new Error(`Cannot parse arguments: unknown option ${k}`);
  }
  const self = fileURLToPath(import.meta.url);
  const dir = mkdtempSync(join(tmpdir(), "edgeprobe-probe-layers-"));
  const bin = join(dir, "layers");
  const build = spawnSync(process.execPath, ["build", self, "--compile", "--minify", "--bytecode", "--format=esm", "--compile-jit-policy=10000", "--outfile", bin], { stdio: ["ignore", "ignore", "inherit"] });
  if (build.status !== 0) throw new Error(`Cannot compile the layers: bun build exited ${build.status}`);
  // The listener in its own process on core 1 (the loopback handshake's listener side then runs
  // there, as a remote peer's would not run on the agent at all).
  const acceptor = spawn("taskset", ["-c", "1", process.execPath, self, "--acceptor", String(port)], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise((resolve) => acceptor.stdout!.once("data", resolve));
  const all = new Map<Layer, number[]>(layers.map((l) => [l, []]));
  try {
    for (let r = 1; r <= rounds; r++) {
      for (const layer of layers) {
        const out = spawnSync("taskset", ["-c", "0", bin, "--child", layer, String(port), String(seconds)], { encoding: "utf8", timeout: (seconds + 20) * 1000 });
        const m = JSON.parse(out.stdout.trim().split("\n").pop()!);
        all.get(layer)!.push(m.us);
        console.log(`round ${r} ${layer.padEnd(6)} ${m.us.toFixed(1)} µs per connect (user ${m.userUs.toFixed(1)}, system ${m.systemUs.toFixed(1)}), ${m.connects} connects`);
      }
    }
  } finally {
    acceptor.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const [layer, xs] of all) console.log(`${layer.padEnd(6)} median ${median(xs).toFixed(1)} µs per connect (${xs.map((x) => x.toFixed(1)).join(" / ")})`);
}

if (import.meta.main) await main(process.argv.slice(2));
