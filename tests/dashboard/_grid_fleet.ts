/**
 * A national-size fleet for the dashboard's scale tests and benchmark: a real collector
 * (`bun cli/main.ts collector`, SQLite in a temp dir) fed by the fleet simulator
 * (`bun cli/main.ts simulate --agents N`, docs/fleet-simulator.md: real CBOR batches, acks,
 * failure episodes, verdict changes, silences), plus a few "lab" agents whose probe states the
 * test turns on command: each turn is one real ingest POST carrying a failing result, its state
 * record and a verdict record, as the agent's uplink sends them.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Child, eventually, startChild } from "../_util/process.ts";
import { encodeBatch } from "../../telemetry/codec.ts";
import type { TelemetryRecord } from "../../telemetry/record.ts";

const root = new URL("../../", import.meta.url).pathname;
const bun = join(root, "node_modules/.bin/bun");
const TOKEN = "grid-fleet-token-0123456789abcdef";
/** A viewer API token (docs/security.md): every read route, the grid included, needs one. */
const VIEWER_TOKEN = "grid-fleet-viewer-0123456789abcdef";
/** The lab agents' probes (names from the simulator's mix, so they share its columns). */
export const LAB_PROBES = ["n4-smf", "n3-gnb", "dns"] as const;
export const LAB_REGION = "lab";

export interface GridFleet {
  readonly url: string;
  /** Headers that read as a viewer (for fetch, or a browser's setExtraHTTPHeaders). */
  readonly viewer: Readonly<Record<string, string>>;
  /** Simulated agents plus lab agents. */
  readonly nodes: number;
  readonly collector: Child;
  readonly simulator: Child;
  /** Lab agent ids. */
  readonly lab: readonly string[];
  /** Lab agent `id`'s probe goes to `to`; resolves when the collector acknowledged the batch. */
  turn(id: string, probe: string, to: "healthy" | "unhealthy"): Promise<void>;
  stop(): Promise<void>;
}

export async function startGridFleet(opts: { port: number; agents: number; lab?: number; runtime?: "bun" | "deno" }): Promise<GridFleet> {
  const dir = mkdtempSync(join(tmpdir(), "edgeprobe-grid-"));
  const cfg = join(dir, "collector.json");
  writeFileSync(cfg, JSON.stringify({
    listen: `127.0.0.1:${opts.port}`,
    auth: { sharedToken: TOKEN, apiTokens: { wall: { role: "viewer", token: VIEWER_TOKEN } } },
    store: { path: join(dir, "collector.db"), raw: false },
    // The security limits' defaults (docs/security.md) are sized for a real fleet: at most 10,000
    // nodes, and 64 requests in flight per source address. Here every emulated agent and the
    // browser share 127.0.0.1, and the fleet is 10,000 plus the lab agents.
    limits: { maxNodes: opts.agents + (opts.lab ?? 3) + 100, maxInFlightPerSource: 4096 },
  }));
  const collector = opts.runtime === "deno"
    ? startChild(join(root, "node_modules/.bin/deno"), ["run", "-A", "cli/main.ts", "collector", "--config", cfg], { cwd: root })
    : startChild(bun, ["cli/main.ts", "collector", "--config", cfg], { cwd: root });
  const url = `http://127.0.0.1:${opts.port}`;
  const viewer = { authorization: `Bearer ${VIEWER_TOKEN}` };
  const children: Child[] = [collector];
  const stop = async () => {
    for (const c of children.reverse()) await c.stop("SIGTERM", 5000);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await eventually(async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.ok, 20_000, 100);
  } catch (e) {
    await stop();
    throw e;
  }
  const simulator = startChild(bun, ["cli/main.ts", "simulate", "--agents", String(opts.agents), "--collector", url, "--token", TOKEN, "--drain", "0", "--report", "5s"], { cwd: root });
  children.push(simulator);

  const lab = Array.from({ length: opts.lab ?? 3 }, (_, i) => `lab-${i + 1}`);
  const seqs = new Map<string, number>();
  const states = new Map<string, "healthy" | "unhealthy">();
  // One batch at a time per agent, as the uplink sends: a later seq must never overtake an earlier one.
  const chains = new Map<string, Promise<void>>();
  const post = (id: string, records: Omit<TelemetryRecord, "seq">[]) => {
    const p = (chains.get(id) ?? Promise.resolve()).catch(() => {}).then(() => send(id, records));
    chains.set(id, p);
    return p;
  };
  const send = async (id: string, records: Omit<TelemetryRecord, "seq">[]) => {
    let seq = seqs.get(id) ?? 0;
    const body = encodeBatch({ agentId: id, bootId: "lab-boot-1", records: records.map((r) => ({ ...r, seq: ++seq }) as TelemetryRecord) });
    seqs.set(id, seq);
    const res = await fetch(`${url}/api/v1/ingest`, { method: "POST", body, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/vnd.edgeprobe.telemetry+cbor" } });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`Cannot send ${id}'s batch: HTTP ${res.status}`);
  };
  const result = (p: string, at: number, ok: boolean) => ({
    type: "probe", at, probe: p, kind: "pfcp", ok, latencyUs: 900,
    ...(ok ? {} : { failure: { kind: "timeout", message: "Cannot receive an answer: no answer within 2000 ms" } }),
  });
  const labStart = Date.now();
  for (const [i, id] of lab.entries()) {
    await post(id, [
      { type: "agent-start", at: labStart, version: "0.1.0", labels: { region: LAB_REGION, site: `lab-s${i + 1}`, role: "upf" } },
      ...LAB_PROBES.map((p) => result(p, labStart, true)),
      ...LAB_PROBES.map((p) => ({ type: "state", at: labStart, probe: p, from: "unknown", to: "healthy" })),
    ] as Omit<TelemetryRecord, "seq">[]);
  }
  const nodes = opts.agents + lab.length;
  // Every simulated agent is at the collector within joinBoundMs of the simulator's start: its
  // first batch is due within one batch interval (5 s; the simulator spreads them like agents
  // started at different times), no agent goes silent before it joined (simulate/sim_agent.ts),
  // nothing is shed (the simulator's 256 requests in flight are below limits.maxIngestInFlight,
  // 512), and the collector stored 10,000 first batches in 6-7 s on this machine
  // (docs/fleet-simulator.md "Joining"): 2.5 ms per agent is 400 first batches a second, a quarter
  // of that, for a busier CI machine; at least 15 s (three batch intervals), so a small fleet
  // (bench/fleet_dashboard.ts runs 1,000) is not held to a margin of a second or two. Past it
  // something is wrong, and the error says what.
  const joinBoundMs = Math.max(15_000, 5_000 + opts.agents * 2.5);
  let seen = new Set<string>();
  try {
    await eventually(async () => {
      const res = await fetch(`${url}/api/v1/fleet/grid`, { headers: viewer });
      if (!res.ok) throw new Error(`Cannot read the grid: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
      const g = await res.json() as { nodes: (readonly [string, ...unknown[]])[] };
      seen = new Set(g.nodes.map((r) => r[0]));
      return seen.size >= nodes;
    }, joinBoundMs, 500);
  } catch (e) {
    const width = Math.max(5, String(opts.agents).length);
    const missing = Array.from({ length: opts.agents }, (_, i) => `sim-${String(i + 1).padStart(width, "0")}`).filter((id) => !seen.has(id));
    const status = simulator.output().trim().split("\n").filter((l) => l.startsWith("t=")).slice(-2).join("\n");
    await stop();
    throw new Error(`Cannot see every agent at the collector within ${joinBoundMs} ms: ${seen.size} of ${nodes} nodes; missing ${missing.length} simulated (${missing.slice(0, 10).join(", ")}); the simulator said:\n${status}`, { cause: e });
  }
  // Lab agents report every few seconds like the rest, so they never go stale.
  const beat = setInterval(() => {
    for (const id of lab) void post(id, LAB_PROBES.map((p) => result(p, Date.now(), states.get(`${id}/${p}`) !== "unhealthy")) as Omit<TelemetryRecord, "seq">[]).catch(() => {});
  }, 5000);
  return {
    url, viewer, nodes, collector, simulator, lab,
    async stop() {
      clearInterval(beat);
      await stop();
    },
    async turn(id, p, to) {
      const from = states.get(`${id}/${p}`) ?? "healthy";
      states.set(`${id}/${p}`, to);
      const at = Date.now();
      await post(id, [
        result(p, at, to === "healthy"),
        { type: "state", at, probe: p, from, to },
        { type: "verdict", at, from: to === "healthy" ? "DOWN" : "UP", to: to === "healthy" ? "UP" : "DOWN", causes: to === "healthy" ? [] : [p] },
      ] as Omit<TelemetryRecord, "seq">[]);
    },
  };
}
