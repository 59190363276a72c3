/**
 * @module The agent's one HTTP port. /healthz and /readyz are answered from the pre-encoded
 * snapshot, replaced with `publish()` when the verdict changes; everything else goes to the app.
 */
import { startServer } from "../server/serve.ts";
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

export async function serveAgent(o: ServeAgentOptions): Promise<AgentServer> {
  const tls = o.server.tls && o.readFile
    ? { cert: o.readFile(o.server.tls.cert), key: o.readFile(o.server.tls.key), ca: o.server.tls.ca ? o.readFile(o.server.tls.ca) : undefined }
    : undefined;
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
