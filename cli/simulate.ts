/** @module `edgeprobe simulate --agents N --collector URL[,URL...]`: a fleet of emulated agents (docs/fleet-simulator.md). */
import type { CommandIO } from "./io.ts";
import { parseArgs } from "./args.ts";
import { parseDuration } from "../common/duration.ts";
import { startSimulation, type SimulationStats } from "../simulate/mod.ts";
import { sleep } from "../common/abortable.ts";
import { restoreJit } from "../runtime/jit_policy.ts";

export function simulateUsage(): string {
  return `Usage: edgeprobe simulate --agents N --collector URL[,URL...] [options]

Emulates N edge agents sending telemetry to real collectors through the real uplink protocol
(CBOR batches to /api/v1/ingest, acks, resends from the last ack, backoff honouring Retry-After):
a 5G site's probe mix, failure episodes, state and verdict changes, peer restarts, agents that
go silent and come back (some with a new boot). Prints one status line per --report interval
and a JSON summary at the end.

Options:
  --agents N            emulated agents (required)
  --collector URLS      collector base URLs, comma-separated (required); agent i starts at URL i mod n
  --steer-every D       follow at most one steering hint (Edgeprobe-Steer, to a URL of --collector)
                        per agent and D (default 30s; 0 = ignore hints)
  --token T             bearer token for every agent (default $EDGEPROBE_TOKEN)
  --transport T         http/1.1 (default) or h2 (h2c over http://)
  --probes N            probes per agent (default 10)
  --speed X             probe intervals divided by X: more records per agent (default 1)
  --batch-interval D    how often an agent sends (default 5s)
  --max-records N       records per batch at most (default 500)
  --concurrency N       requests in flight across the fleet (default 256)
  --timeout D           one request's budget (default 10s)
  --duration D          run this long, then drain and stop (default: until SIGINT/SIGTERM)
  --drain D             after stopping, send what is spooled for at most D (default 30s; 0 = no drain)
  --calm                no failures, silences or restarts (a steady load for benchmarks)
  --seed N              same seed, same fleet (default 1)
  --prefix P            agent ids P-00001... (default sim)
  --report D            status line interval (default 5s)
  --json                status lines as JSON
  --help                this text
`;
}

const KNOWN = new Set(["agents", "collector", "token", "transport", "probes", "speed", "batchInterval", "maxRecords", "concurrency", "timeout", "steerEvery", "duration", "drain", "calm", "seed", "prefix", "report", "json", "help", "h"]);

/** Failed sends by cause (" (503:12 timeout:3)"): a shed and a timeout call for different fixes. */
function failures(s: SimulationStats): string {
  const f = Object.entries(s.batches.byStatus).filter(([k]) => !/^2/.test(k));
  return f.length ? ` (${f.map(([k, n]) => `${k}:${n}`).join(" ")})` : "";
}

function line(s: SimulationStats, prev: SimulationStats | undefined): string {
  const dt = prev ? (s.elapsedMs - prev.elapsedMs) / 1000 : s.elapsedMs / 1000;
  const rate = prev ? (s.acked - prev.acked) / dt : s.acked / Math.max(dt, 0.001);
  const cpu = prev ? (s.cpuMs - prev.cpuMs) / (s.elapsedMs - prev.elapsedMs) : s.cpuMs / Math.max(s.elapsedMs, 1);
  return `t=${(s.elapsedMs / 1000).toFixed(0)}s acked=${s.acked} (${Math.round(rate)}/s) pending=${s.pending} dropped=${s.dropped} ` +
    `batches ok=${s.batches.ok} failed=${s.batches.failed}${failures(s)} inflight=${s.inFlight} queued=${s.queued} backoff=${s.backingOff} silent=${s.silent} ` +
    `${s.steers || s.steersIgnored ? `steers=${s.steers}${s.steersIgnored ? ` ignored=${s.steersIgnored}` : ""} ` : ""}rtt p50=${s.latencyMs.p50}ms p99=${s.latencyMs.p99}ms cpu=${(cpu * 100).toFixed(0)}%\n`;
}

export async function simulateCommand(argv: readonly string[], io: CommandIO): Promise<number> {
  // Emulating thousands of agents is heavy JavaScript (runtime/jit_policy.ts).
  restoreJit();
  const { flags, positionals } = parseArgs(argv, new Set(["json", "help", "h", "calm"]));
  if (flags.help || flags.h) {
    io.out(simulateUsage());
    return 0;
  }
  const bad = (why: string) => {
    io.err(`Cannot start simulation: ${why}\n${simulateUsage()}`);
    return 2;
  };
  const unknown = Object.keys(flags).find((k) => !KNOWN.has(k));
  if (unknown) return bad(`unknown option --${unknown.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
  if (positionals.length) return bad(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const str = (k: string) => (typeof flags[k] === "string" ? flags[k] as string : undefined);
  const int = (k: string, def: number, min = 1) => {
    const v = str(k);
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${k} must be an integer ≥ ${min}, not ${JSON.stringify(v)}`);
    return n;
  };
  const dur = (k: string, def: number | undefined) => {
    const v = str(k);
    if (v === undefined) return def;
    const ms = parseDuration(v) ?? (/^\d+$/.test(v) ? Number(v) : undefined);
    if (ms === undefined) throw new Error(`--${k} must be a duration such as 5s, not ${JSON.stringify(v)}`);
    return ms;
  };
  let opts;
  let duration: number | undefined, drain = 30_000, report = 5000;
  try {
    const agents = int("agents", 0);
    const collectors = (str("collector") ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    if (collectors.length === 0) throw new Error("expected --collector URL[,URL...]");
    for (const c of collectors) if (!/^https?:\/\//.test(c)) throw new Error(`collector ${JSON.stringify(c)} is not an http(s) URL`);
    const token = str("token") ?? io.env.EDGEPROBE_TOKEN;
    if (!token) throw new Error("expected --token T or $EDGEPROBE_TOKEN");
    const transport = str("transport") ?? "http/1.1";
    if (transport !== "http/1.1" && transport !== "h2") throw new Error(`--transport must be http/1.1 or h2, not ${JSON.stringify(transport)}`);
    const speed = Number(str("speed") ?? "1");
    if (!(speed > 0)) throw new Error(`--speed must be a positive number, not ${JSON.stringify(str("speed"))}`);
    opts = {
      agents,
      collectors,
      token,
      transport: transport as "http/1.1" | "h2",
      probesPerAgent: int("probes", 10),
      batchIntervalMs: dur("batchInterval", 5000)!,
      maxBatchRecords: int("maxRecords", 500),
      concurrency: int("concurrency", 256),
      requestTimeoutMs: dur("timeout", 10_000)!,
      steerEveryMs: dur("steerEvery", 30_000)!,
      seed: int("seed", 1, 0),
      idPrefix: str("prefix") ?? "sim",
      behaviour: flags.calm
        ? { speed, failRate: 0, episodesPerProbeHour: 0, peerRestartsPerProbeHour: 0, silencesPerAgentHour: 0 }
        : { speed },
    };
    duration = dur("duration", undefined);
    drain = dur("drain", 30_000)!;
    report = dur("report", 5000)!;
  } catch (e) {
    return bad((e as Error).message);
  }
  const ac = new AbortController();
  const stopRequested = Promise.withResolvers<void>();
  const offs = (["SIGINT", "SIGTERM"] as const).map((s) => io.onSignal(s, () => stopRequested.resolve()));
  const sim = startSimulation({ ...opts, signal: ac.signal });
  let prev: SimulationStats | undefined;
  const tick = setInterval(() => {
    const s = sim.stats();
    io.out(flags.json ? JSON.stringify(s) + "\n" : line(s, prev));
    prev = s;
  }, report);
  try {
    const wait: Promise<unknown>[] = [stopRequested.promise];
    if (duration !== undefined) wait.push(sleep(duration));
    await Promise.race(wait);
    if (drain > 0) {
      io.out(`draining for at most ${drain} ms\n`);
      await sim.drain(AbortSignal.timeout(drain));
    }
    const final = await sim.stop();
    io.out(JSON.stringify(final, null, 2) + "\n");
    return final.pending === 0 || drain === 0 ? 0 : 1;
  } finally {
    clearInterval(tick);
    for (const off of offs) off();
    ac.abort();
  }
}
