/**
 * A large fleet for the dashboard's scale tests: a real collector (`bun cli/main.ts collector`,
 * SQLite in a temp dir) and N emulated agents that POST real CBOR batches to its ingest endpoint
 * (telemetry/codec.ts), each with region/site/role labels and `probes` probes. The fill sends one
 * batch per agent (agent-start, one result and one state record per probe); `beat()` sends one
 * batch of results for a slice of the fleet, and `turn()` changes one probe's state on one agent.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Child, eventually, startChild } from "../_util/process.ts";
import { encodeBatch } from "../../telemetry/codec.ts";
import type { TelemetryRecord } from "../../telemetry/record.ts";

const root = new URL("../../", import.meta.url).pathname;
const TOKEN = "grid-fleet-token-0123456789abcdef";
export const PROBE_NAMES = ["app-tcp", "smf-n4", "gnb-n3", "sbi-nrf", "dns", "etcd", "sip-pcscf", "dia-hss", "gtpc-s11", "http-api", "n6-ping", "ntp"];

export interface GridFleet {
  readonly url: string;
  readonly agents: number;
  readonly collector: Child;
  /** Agent id of index i. */
  id(i: number): string;
  /** One results batch from agents [from, to). */
  beat(from: number, to: number): Promise<void>;
  /** Agent i's probe p goes to `to` (a failing result, a state record and a verdict record). */
  turn(i: number, probe: string, to: "healthy" | "unhealthy"): Promise<void>;
  stop(): Promise<void>;
}

export const gridAgentId = (i: number) => `upf-${String(i).padStart(5, "0")}`;

export async function startGridFleet(opts: { port: number; agents: number; probes?: number; runtime?: "bun" | "deno" }): Promise<GridFleet> {
  const dir = mkdtempSync(join(tmpdir(), "edgeprobe-grid-"));
  const cfg = join(dir, "collector.json");
  writeFileSync(cfg, JSON.stringify({
    listen: `127.0.0.1:${opts.port}`,
    auth: { sharedToken: TOKEN },
    store: { path: join(dir, "collector.db"), raw: false },
    // Fed once, then in slices: no node may go stale during a test.
    staleAfter: "30m",
  }));
  const collector = opts.runtime === "deno"
    ? startChild(join(root, "node_modules/.bin/deno"), ["run", "-A", "cli/main.ts", "collector", "--config", cfg], { cwd: root })
    : startChild(join(root, "node_modules/.bin/bun"), ["cli/main.ts", "collector", "--config", cfg], { cwd: root });
  const url = `http://127.0.0.1:${opts.port}`;
  const stop = async () => {
    await collector.stop("SIGTERM", 5000);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await eventually(async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.ok, 20_000, 100);
  } catch (e) {
    await stop();
    throw e;
  }
  const probes = PROBE_NAMES.slice(0, opts.probes ?? 10);
  const seqs = new Int32Array(opts.agents);
  const state = new Map<string, "healthy" | "unhealthy">();
  const post = async (i: number, records: Omit<TelemetryRecord, "seq">[]) => {
    const body = encodeBatch({ agentId: gridAgentId(i), bootId: "boot-1", records: records.map((r) => ({ ...r, seq: ++seqs[i] }) as TelemetryRecord) });
    const res = await fetch(`${url}/api/v1/ingest`, { method: "POST", body, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/vnd.edgeprobe.telemetry+cbor" } });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`Cannot feed ${gridAgentId(i)}: HTTP ${res.status}`);
  };
  const result = (p: string, at: number, ok: boolean) => ({
    type: "probe", at, probe: p, kind: "tcp", ok, latencyUs: 800 + Math.floor(Math.random() * 400),
    ...(ok ? {} : { failure: { kind: "timeout", message: "Cannot receive an answer: no answer within 2000 ms" } }),
  });
  /** Run `fn(i)` for i in [from, to), `concurrency` at a time. */
  const each = async (from: number, to: number, fn: (i: number) => Promise<void>, concurrency = 16) => {
    let next = from;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < to) await fn(next++);
    }));
  };
  const t0 = Date.now();
  await each(0, opts.agents, (i) =>
    post(i, [
      { type: "agent-start", at: t0, version: "0.1.0", labels: { region: `region-${String(i % 20).padStart(2, "0")}`, site: `site-${String(i % 500).padStart(3, "0")}`, role: ["upf", "smf", "amf", "ims"][i % 4] } },
      ...probes.map((p) => result(p, t0, true)),
      ...probes.map((p) => ({ type: "state", at: t0, probe: p, from: "unknown", to: "healthy" })),
    ] as Omit<TelemetryRecord, "seq">[]));
  return {
    url, agents: opts.agents, collector, id: gridAgentId, stop,
    beat: (from, to) => each(from, to, (i) => post(i, probes.map((p) => result(p, Date.now(), state.get(`${i}/${p}`) !== "unhealthy")) as Omit<TelemetryRecord, "seq">[])),
    async turn(i, p, to) {
      const from = state.get(`${i}/${p}`) ?? "healthy";
      state.set(`${i}/${p}`, to);
      const at = Date.now();
      await post(i, [
        result(p, at, to === "healthy"),
        { type: "state", at, probe: p, from, to },
        { type: "verdict", at, from: to === "healthy" ? "DOWN" : "UP", to: to === "healthy" ? "UP" : "DOWN", causes: to === "healthy" ? [] : [p] },
      ] as Omit<TelemetryRecord, "seq">[]);
    },
  };
}
