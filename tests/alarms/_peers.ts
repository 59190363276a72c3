/**
 * @module Real northbound receivers on loopback for the alarm tests: Debian's
 * prometheus-alertmanager (with a webhook receiver of its own, so the test sees what Alertmanager
 * itself notifies, resolves included) and snmptrapd (logging every notification to stdout), plus a
 * JSON webhook receiver in this process that can be switched down (503) and up again.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { createServer as createTcpServer } from "node:net";
import { createSocket } from "node:dgram";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Child, eventually, startChild } from "../_util/process.ts";

export interface HttpSink {
  readonly url: string;
  readonly bodies: unknown[];
  /** While false the receiver answers 503 to everything. */
  up: boolean;
  close(): Promise<void>;
}

/**
 * A port of this area's range (33000-33999) that is free now for TCP and UDP on 127.0.0.1, for the
 * peers that cannot report a port they chose themselves. The range lies inside Linux's ephemeral
 * range, so a fixed port may be taken by some client connection: probe instead of assuming.
 */
export async function freePort(from: number, to = from + 99): Promise<number> {
  for (let p = from; p <= to; p++) {
    const tcp = await new Promise<boolean>((resolve) => {
      const s = createTcpServer();
      s.once("error", () => resolve(false));
      s.listen(p, "127.0.0.1", () => s.close(() => resolve(true)));
    });
    if (!tcp) continue;
    const udp = await new Promise<boolean>((resolve) => {
      const s = createSocket("udp4");
      s.once("error", () => resolve(false));
      s.bind(p, "127.0.0.1", () => s.close(() => resolve(true)));
    });
    if (udp) return p;
  }
  throw new Error(`Cannot find a free port in ${from}-${to}`);
}

/** A JSON receiver on 127.0.0.1 (port 0: any free one) that keeps every body it accepted. */
export async function httpSink(port = 0): Promise<HttpSink> {
  const sink = { url: "", bodies: [] as unknown[], up: true, close: async () => {} };
  const server: Server = createServer(async (req: IncomingMessage, res) => {
    let text = "";
    for await (const c of req) text += c;
    if (!sink.up) {
      res.writeHead(503).end();
      return;
    }
    try {
      sink.bodies.push(JSON.parse(text));
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    } catch {
      res.writeHead(400).end();
    }
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", () => resolve()));
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sink.close = () => new Promise<void>((r) => server.close(() => r()));
  server.closeIdleConnections?.();
  return sink;
}

export interface Alertmanager {
  readonly url: string;
  readonly child: Child;
  stop(): Promise<void>;
}

/**
 * prometheus-alertmanager with one route to `receiverUrl` (send_resolved), grouping by alarmId
 * and a short group wait/interval so a test sees firing and resolved within seconds.
 */
export async function startAlertmanager(port: number, receiverUrl: string): Promise<Alertmanager> {
  const dir = mkdtempSync(join(tmpdir(), "ep-am-"));
  const cfg = join(dir, "alertmanager.yml");
  writeFileSync(cfg, [
    "route:",
    "  receiver: test",
    "  group_by: [alarmId]",
    "  group_wait: 200ms",
    "  group_interval: 500ms",
    "  repeat_interval: 1h",
    "receivers:",
    "  - name: test",
    "    webhook_configs:",
    `      - url: ${receiverUrl}`,
    "        send_resolved: true",
    "",
  ].join("\n"));
  const child = startChild("prometheus-alertmanager", [
    `--config.file=${cfg}`,
    `--storage.path=${dir}`,
    `--web.listen-address=127.0.0.1:${port}`,
    // One instance, no gossip: nothing listens beyond the web port.
    "--cluster.listen-address=",
    "--log.level=warn",
  ]);
  const url = `http://127.0.0.1:${port}`;
  try {
    await eventually(async () => (await fetch(`${url}/-/ready`)).ok, 15_000, 100);
  } catch (e) {
    await child.stop();
    throw new Error(`Cannot start prometheus-alertmanager: ${child.output().slice(-2000)}`, { cause: e });
  }
  return {
    url,
    child,
    async stop() {
      await child.stop("SIGTERM", 3000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TrapReceiver {
  readonly child: Child;
  /** Every notification logged so far, one line each (varbinds tab-separated). */
  traps(): string[];
  stop(): Promise<void>;
}

/** snmptrapd in the foreground on udp:127.0.0.1:port, community-less (`disableAuthorization yes`), numeric OIDs, no MIBs. */
export async function startSnmptrapd(port: number): Promise<TrapReceiver> {
  const dir = mkdtempSync(join(tmpdir(), "ep-trapd-"));
  const conf = join(dir, "snmptrapd.conf");
  writeFileSync(conf, "disableAuthorization yes\n");
  const child = startChild("snmptrapd", ["-f", "-Lo", "-C", "-c", conf, "-m", "", "-On", `udp:127.0.0.1:${port}`]);
  await child.waitFor(/NET-SNMP version/, 10_000);
  return {
    child,
    traps: () => child.output().split("\n").filter((l) => l.includes(".1.3.6.1.6.3.1.1.4.1.0 = OID:")),
    async stop() {
      await child.stop("SIGTERM", 3000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
