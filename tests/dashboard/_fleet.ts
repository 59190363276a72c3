/**
 * A real fleet on loopback for the dashboard tests: the collector (`bun cli/main.ts collector`),
 * PFCP and GTP-U reflectors (`bun cli/main.ts reflect pfcp|gtpu`), one TCP listener per agent (in this
 * process, so a test can close it) and three agents shaped like demo/demo_plan.ts, each probing
 * its TCP listener and the reflector and sending telemetry to the collector.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Child, eventually, startChild } from "../_util/process.ts";

const root = new URL("../../", import.meta.url).pathname;
const bun = join(root, "node_modules/.bin/bun");
const TOKEN = "dashboard-test-token-0123456789";

/** Ports inside this area's range 25500-25999. */
export const PORTS = { collector: 25500, agents: [25511, 25512, 25513], tcp: [25521, 25522, 25523], pfcp: 25530, gtpu: 25531 } as const;

export const AGENTS = [
  { id: "upf-north-1", labels: { region: "north", site: "mec-1", role: "upf" } },
  { id: "smf-south-1", labels: { region: "south", site: "core-2", role: "smf" } },
  { id: "ims-east-1", labels: { region: "east", site: "mec-3", role: "ims" } },
] as const;

export interface TcpTarget {
  readonly port: number;
  /** Stop listening: the probe sees "refused". */
  close(): Promise<void>;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A plain TCP listener. The probe connects and closes at once, so the client side closes first
 * and the TIME_WAIT stays on the client's port. close() therefore lets open connections end by
 * themselves (up to 2 s) before it destroys what is left. An active close here would leave
 * TIME_WAIT on this port, and the listener could not come back in the same test (seen as
 * EADDRINUSE on one core). Listening also retries EADDRINUSE for up to 5 s.
 */
export async function listenTcp(port: number): Promise<TcpTarget> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
  });
  const end = Date.now() + 5000;
  for (;;) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, "127.0.0.1", () => {
          server.off("error", reject);
          resolve();
        });
      });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE" || Date.now() > end) throw e;
      await pause(200);
    }
  }
  return {
    port,
    async close() {
      const closed = new Promise<void>((r) => server.close(() => r()));
      const deadline = Date.now() + 2000;
      while (sockets.size > 0 && Date.now() < deadline) await pause(20);
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

export interface Fleet {
  readonly url: string;
  readonly dir: string;
  collector: Child;
  readonly reflector: Child;
  readonly agents: readonly Child[];
  readonly tcp: TcpTarget[];
  /** Stop the collector, run `whileDown`, start it again on the same port and database. */
  restartCollector(whileDown: () => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

function agentDoc(i: number, dir: string) {
  const a = AGENTS[i];
  return {
    agent: { id: a.id, labels: a.labels },
    server: { listen: `127.0.0.1:${PORTS.agents[i]}` },
    log: { level: "warn" },
    probes: [
      // A critical TCP probe on this agent's own listener: closing it makes the node DOWN.
      { name: "app-tcp", kind: "tcp", target: `127.0.0.1:${PORTS.tcp[i]}`, interval: "500ms", timeout: "300ms", jitter: "0%", fall: 1, rise: 1 },
      { name: "smf-n4", kind: "pfcp", target: `127.0.0.1:${PORTS.pfcp}`, interface: "N4", interval: "500ms", timeout: "300ms", jitter: "0%", fall: 2, rise: 1, critical: false },
      // A GTP-U echo burst on one node only: its loss is a measured fact, and the other rows get an empty cell.
      ...(a.id === "ims-east-1"
        ? [{ name: "gnb-n3", kind: "gtpu", target: `127.0.0.1:${PORTS.gtpu}`, interface: "N3", interval: "500ms", timeout: "300ms", jitter: "0%", fall: 2, rise: 1, critical: false, options: { burst: 5, burstInterval: "20ms" } }]
        : []),
    ],
    telemetry: {
      collector: `http://127.0.0.1:${PORTS.collector}`,
      token: TOKEN,
      spool: { dir: join(dir, `spool-${a.id}`), maxBytes: "1MiB" },
      batch: { maxRecords: 200, interval: "200ms" },
      backoff: { initial: "100ms", max: "1s" },
    },
  };
}

/** `collector`: the runtime that runs the collector from source (agents and reflectors run on Bun). */
export async function startFleet(collector: "bun" | "deno" = "bun"): Promise<Fleet> {
  const dir = mkdtempSync(join(tmpdir(), "edgeprobe-dash-"));
  const children: Child[] = [];
  const tcp: TcpTarget[] = [];
  const stop = async () => {
    await Promise.all(children.map((c) => c.stop("SIGTERM", 3000)));
    await Promise.all(tcp.map((t) => t.close()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const cfg = join(dir, "collector.json");
    writeFileSync(cfg, JSON.stringify({
      listen: `127.0.0.1:${PORTS.collector}`,
      // The grid tests read as an anonymous viewer; the login itself is tests/dashboard/login_test.ts.
      auth: { sharedToken: TOKEN, publicRead: true },
      store: { path: join(dir, "collector.db") },
    }));
    const startCollector = () =>
      collector === "deno"
        ? startChild(join(root, "node_modules/.bin/deno"), ["run", "-A", "cli/main.ts", "collector", "--config", cfg], { cwd: root })
        : startChild(bun, ["cli/main.ts", "collector", "--config", cfg], { cwd: root });
    const collectorChild = startCollector();
    children.push(collectorChild);
    const reflector = startChild(bun, ["cli/main.ts", "reflect", "pfcp", "--listen", `127.0.0.1:${PORTS.pfcp}`], { cwd: root });
    children.push(reflector);
    children.push(startChild(bun, ["cli/main.ts", "reflect", "gtpu", "--listen", `127.0.0.1:${PORTS.gtpu}`], { cwd: root }));
    for (const p of PORTS.tcp) tcp.push(await listenTcp(p));
    const url = `http://127.0.0.1:${PORTS.collector}`;
    await eventually(async () => (await fetch(`${url}/healthz`)).ok, 15_000, 100);
    const agents: Child[] = [];
    for (let i = 0; i < AGENTS.length; i++) {
      const f = join(dir, `agent-${i}.json`);
      writeFileSync(f, JSON.stringify(agentDoc(i, dir)));
      const c = startChild(bun, ["tests/dashboard/_agent_main.ts", "agent", "--config", f], { cwd: root });
      children.push(c);
      agents.push(c);
    }
    await Promise.all(agents.map((a) => a.waitFor(/listening on/, 15_000)));
    const fleet: Fleet = {
      url, dir, collector: collectorChild, reflector, agents, tcp, stop,
      async restartCollector(whileDown) {
        await fleet.collector.stop("SIGTERM", 3000);
        children.splice(children.indexOf(fleet.collector), 1);
        await whileDown();
        fleet.collector = startCollector();
        children.push(fleet.collector);
        await eventually(async () => (await fetch(`${url}/healthz`)).ok, 15_000, 100);
      },
    };
    return fleet;
  } catch (e) {
    await stop();
    throw e;
  }
}
