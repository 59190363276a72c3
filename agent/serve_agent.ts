/**
 * @module The agent's one HTTP port. /healthz and /readyz are answered from the pre-encoded
 * snapshot, replaced with `publish()` when the verdict changes; everything else goes to the app.
 * On Bun (and so in the binary) the port is `Bun.serve({ http2: true })` and the snapshot is
 * served by native code (runtime/bun_http_serve.ts); elsewhere it is the node:net front
 * (server/serve.ts). The choice and its measurements: docs/architecture.md, docs/health.md.
 */
import { startBunHttp } from "../runtime/bun_http_serve.ts";
import { detectRuntime } from "../runtime/detect.ts";
import { guard } from "../server/guard.ts";
import { problemAnswer } from "../server/deadline.ts";
import type { ServerLimits } from "../server/types.ts";
import type { LogFn } from "../common/log.ts";
import type { AgentConfig } from "./config.ts";
import type { HealthSnapshot } from "./healthz.ts";

export interface AgentServer {
  readonly hostname: string;
  readonly port: number;
  /** Open connections now. */
  connections(): number;
  /** Answer /healthz and /readyz from this snapshot from now on. */
  publish(snapshot: HealthSnapshot): void;
  /** Stop accepting, let in-flight requests end within the signal, close everything. */
  close(signal: AbortSignal): Promise<void>;
}

export interface ServeAgentOptions {
  readonly server: AgentConfig["server"];
  readonly readFile?: (path: string) => string;
  readonly fetch: (req: Request) => Response | Promise<Response>;
  readonly snapshot: HealthSnapshot;
  readonly log: LogFn;
}

export function serverLimits(l: AgentConfig["server"]["limits"]): ServerLimits {
  return {
    headerTimeoutMs: l.headerTimeout,
    requestTimeoutMs: l.requestTimeout,
    idleTimeoutMs: l.idleTimeout,
    maxConnections: l.maxConnections,
    maxHeaderBytes: l.maxHeaderBytes,
    maxBodyBytes: l.maxBodyBytes,
  };
}

export function serveAgent(o: ServeAgentOptions): Promise<AgentServer> {
  return detectRuntime() === "bun" ? serveNative(o) : serveNodeFront(o);
}

function tlsFiles(o: ServeAgentOptions) {
  return o.server.tls && o.readFile
    ? { cert: o.readFile(o.server.tls.cert), key: o.readFile(o.server.tls.key), ca: o.server.tls.ca ? o.readFile(o.server.tls.ca) : undefined }
    : undefined;
}

const statics = (s: HealthSnapshot) => ({ "/healthz": s.healthz, "/readyz": s.readyz });

/** Bun: the snapshot in native static routes, the rest through the guarded app. */
function serveNative(o: ServeAgentOptions): Promise<AgentServer> {
  const l = o.server.limits;
  const onError = (e: unknown) => o.log("error", "Cannot answer request", { error: String(e) });
  const server = startBunHttp({
    hostname: o.server.listen.host,
    port: o.server.listen.port,
    tls: tlsFiles(o),
    idleTimeoutSeconds: l.idleTimeout / 1000,
    maxBodyBytes: l.maxBodyBytes,
    statics: statics(o.snapshot),
    fetch: guard({ requestTimeoutMs: l.requestTimeout, maxHeaderBytes: l.maxHeaderBytes, maxBodyBytes: l.maxBodyBytes }, o.fetch, onError),
    onError: (e) => {
      onError(e);
      return problemAnswer(500, "the agent failed to answer", "SYSTEM_FAILURE");
    },
  });
  return Promise.resolve({
    hostname: server.hostname,
    port: server.port,
    connections: () => server.pendingRequests(),
    publish: (s) => server.setStatics(statics(s)),
    close: (signal) => server.close(signal),
  });
}

/**
 * Deno and Node: the node:net front with its own HTTP/1.1 parser and node:http2. Imported only
 * here: on Bun, node:http2 and node:net cost the agent several MB of RSS it never uses.
 */
async function serveNodeFront(o: ServeAgentOptions): Promise<AgentServer> {
  const { startServer } = await import("../server/serve.ts");
  const tls = tlsFiles(o);
  let snapshot = o.snapshot;
  const server = await startServer({
    hostname: o.server.listen.host,
    port: o.server.listen.port,
    tls,
    limits: serverLimits(o.server.limits),
    // The hot paths: a map lookup and a socket write, no framework, no await.
    fast: (_method, path) => path === "/healthz" ? snapshot.healthz : path === "/readyz" ? snapshot.readyz : undefined,
    handler: (req) => o.fetch(req),
    log: o.log,
  });
  return {
    hostname: server.hostname,
    port: server.port,
    connections: () => server.connections(),
    publish(s) {
      snapshot = s;
    },
    close: (signal) => server.close(signal),
  };
}
