/**
 * nats-server (Debian, 2.9) for the scale-out tests and bench: one JetStream node or a cluster on
 * loopback, each a child process stopped by PID.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import * as fs from "node:fs";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";

export const NATS_SERVER = process.env.NATS_SERVER ?? "nats-server";

/**
 * `n` loopback ports free right now (bound to port 0, read back, released). Fixed ports collide
 * on a busy host: the kernel hands ports of the ephemeral range (32768-60999) to outgoing
 * connections, and one of them holding a port makes nats-server's bind fail.
 */
export async function freePorts(n: number): Promise<number[]> {
  const range = /^(\d+)-(\d+)$/.exec(process.env.EDGEPROBE_PORTS ?? "");
  if (range) return await freePortsIn(n, Number(range[1]), Number(range[2]));
  const servers = await Promise.all(Array.from({ length: n }, () =>
    new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
      const s = createServer();
      s.once("error", reject);
      s.listen(0, "127.0.0.1", () => resolve(s));
    })));
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/**
 * `n` loopback ports of `from`-`to` free right now, tried from a random point of the range: a
 * shared host gives each job its own range (EDGEPROBE_PORTS=21000-21999), nats-server's client
 * and cluster ports included, which cannot be bound to port 0 and read back.
 */
async function freePortsIn(n: number, from: number, to: number): Promise<number[]> {
  const size = to - from + 1;
  const start = Math.floor(Math.random() * size);
  const out: number[] = [];
  for (let i = 0; i < size && out.length < n; i++) {
    const port = from + (start + i) % size;
    const ok = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once("error", () => resolve(false));
      s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
    });
    if (ok) out.push(port);
  }
  if (out.length < n) throw new Error(`Cannot find ${n} free ports in ${from}-${to}: ${out.length} free`);
  return out;
}

export interface NatsNode {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
  /** stderr so far (nats-server logs there). */
  log(): string;
  stop(signal: "SIGKILL" | "SIGTERM"): Promise<void>;
}

export interface NatsNodeSpec {
  readonly name: string;
  readonly port: number;
  /** Cluster route port; with `routes`, the node joins a cluster named "edgeprobe". */
  readonly clusterPort?: number;
  readonly routes?: readonly number[];
}

function startNode(dir: string, spec: NatsNodeSpec): NatsNode {
  const store = join(dir, spec.name);
  fs.mkdirSync(store, { recursive: true });
  const conf = join(dir, `${spec.name}.conf`);
  const lines = [
    `server_name: ${spec.name}`,
    `listen: 127.0.0.1:${spec.port}`,
    `jetstream { store_dir: "${store}" }`,
  ];
  if (spec.clusterPort !== undefined) {
    lines.push(`cluster { name: edgeprobe, listen: 127.0.0.1:${spec.clusterPort}, routes: [${(spec.routes ?? []).map((p) => `nats-route://127.0.0.1:${p}`).join(", ")}] }`);
  }
  fs.writeFileSync(conf, lines.join("\n") + "\n");
  const child = spawn(NATS_SERVER, ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr!.on("data", (d: Buffer) => {
    err += d.toString();
    if (err.length > 200_000) err = err.slice(-100_000);
  });
  const exited = new Promise<void>((r) => child.on("exit", () => r()));
  return {
    name: spec.name,
    url: `nats://127.0.0.1:${spec.port}`,
    child,
    log: () => err,
    async stop(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** Wait until JetStream answers API requests through `servers` (a cluster needs its meta leader). */
export async function waitJetStream(servers: readonly string[], ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const nc = await connect({ servers: [...servers], timeout: 1000 });
      try {
        const jsm = await jetstreamManager(nc, { timeout: 1000 });
        await jsm.getAccountInfo();
        return;
      } finally {
        await nc.close();
      }
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`Cannot reach JetStream at ${servers.join(",")} within ${ms} ms: ${(last as Error)?.message}`);
}

/** One JetStream node. */
export async function startNats(dir: string, port: number): Promise<NatsNode> {
  const n = startNode(dir, { name: "n1", port });
  try {
    await waitJetStream([n.url]);
  } catch (e) {
    await n.stop("SIGKILL");
    throw new Error(`${(e as Error).message}; nats-server said: ${n.log().slice(-1500)}`, { cause: e });
  }
  return n;
}

/** A cluster of `clientPorts.length` JetStream nodes; route ports are `routePorts` (same order). */
export async function startNatsCluster(dir: string, clientPorts: readonly number[], routePorts: readonly number[]): Promise<NatsNode[]> {
  const nodes = clientPorts.map((port, i) => startNode(dir, { name: `n${i + 1}`, port, clusterPort: routePorts[i], routes: routePorts.filter((_, j) => j !== i) }));
  try {
    await waitJetStream(nodes.map((n) => n.url), 30_000);
  } catch (e) {
    for (const n of nodes) await n.stop("SIGKILL");
    throw new Error(`${(e as Error).message}; nats-server said: ${nodes.map((n) => n.log().slice(-800)).join("\n")}`, { cause: e });
  }
  return nodes;
}
