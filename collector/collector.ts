/**
 * @module The collector as one object: store + ingest + API + SSE + retention, served over HTTP.
 */
import { readFileSync } from "node:fs";
import type { LogFn } from "../common/log.ts";
import { type HttpServer, serveHttp } from "../runtime/serve_http.ts";
import { serveH2c } from "../runtime/serve_h2c.ts";
import { createAdmission } from "./admission.ts";
import { createApi } from "./api.ts";
import { createFleetGrid } from "./fleet_grid.ts";
import type { CollectorConfig } from "./config.ts";
import { createIngestHandler, INGEST_PATH, type IngestCounters, newIngestCounters } from "./ingest.ts";
import { openSqliteStore } from "./sqlite_store.ts";
import { createSseHub } from "./sse.ts";
import { problem } from "./problem.ts";
import type { Store } from "./store.ts";

export interface RunningCollector {
  readonly url: string;
  /** The h2c listener's URL when `h2cListen` is set. */
  readonly h2cUrl?: string;
  readonly server: HttpServer;
  readonly store: Store;
  /** The request handler (tests and benchmarks may call it without a socket). */
  readonly handler: (req: Request) => Promise<Response>;
  /** Ingest totals since start (for /metrics and the OpenTelemetry instruments). */
  readonly counters: IngestCounters;
  /** Resolves when the server stopped and the store is closed (after `signal` aborted). */
  readonly finished: Promise<void>;
}

export interface CollectorDeps {
  readonly signal: AbortSignal;
  readonly log: LogFn;
  readonly now?: () => number;
  /** Use this store instead of opening the SQLite file named in the config. */
  readonly store?: Store;
}

/** Build the request handler over a store (no socket). */
export function createCollectorHandler(config: CollectorConfig, store: Store, deps: { now: () => number; log: LogFn }) {
  const counters = newIngestCounters();
  const sse = createSseHub({ maxClients: config.limits.maxSseClients });
  const unsubscribe = store.subscribe((c) => sse.publish(c));
  const ingest = createIngestHandler({ store, auth: config.auth, maxBodyBytes: config.limits.maxBodyBytes, now: deps.now, log: deps.log, counters });
  const grid = createFleetGrid({ store, now: deps.now, staleAfterMs: config.staleAfter, publish: sse.publishEvent });
  const api = createApi({ store, sse, counters, now: deps.now, staleAfterMs: config.staleAfter, grid });
  const admission = createAdmission(config.limits.maxIngestInFlight);
  const handler = (req: Request): Promise<Response> => {
    // The hot path skips the router: one string compare on the path.
    const url = req.url;
    const p = url.indexOf("/", url.indexOf("//") + 2);
    const path = url.slice(p, url.indexOf("?", p) >>> 0);
    if (path === INGEST_PATH) {
      // Shed before anything is read or decoded (collector/admission.ts).
      if (!admission.tryEnter()) {
        counters.batches.shed = (counters.batches.shed ?? 0) + 1;
        return Promise.resolve(problem(
          { type: "overloaded", title: "Service Unavailable", status: 503, detail: `Cannot accept telemetry now: ${config.limits.maxIngestInFlight} batches in flight; the agent's spool keeps it` },
          { "retry-after": String(admission.retryAfterSeconds()) },
        ));
      }
      const started = performance.now();
      return ingest(req).finally(() => admission.leave(performance.now() - started));
    }
    return Promise.resolve(api.fetch(req));
  };
  return { handler, counters, close: () => (unsubscribe(), grid.close(), sse.close()) };
}

/** The store the config names. The NATS client is only loaded when the config asks for JetStream. */
async function openStore(config: CollectorConfig, deps: CollectorDeps): Promise<Store> {
  const s = config.store;
  if (s.kind === "sqlite") return await openSqliteStore({ path: s.path, raw: s.raw, synchronous: s.synchronous, hoursRetentionMs: config.retention.hours, daysRetentionMs: config.retention.days });
  const { openJetstreamStore } = await import("./jetstream_store.ts");
  return await openJetstreamStore({ ...s, maxAge: config.retention.raw }, { log: deps.log });
}

/**
 * Open the store, start serving and pruning; everything stops when `deps.signal` aborts.
 * @throws {Error} "Cannot open SQLite database …", "Cannot listen on …", "Cannot read TLS file …"
 */
export async function startCollector(config: CollectorConfig, deps: CollectorDeps): Promise<RunningCollector> {
  const now = deps.now ?? Date.now;
  const store = deps.store ?? await openStore(config, deps);
  const { handler, counters, close } = createCollectorHandler(config, store, { now, log: deps.log });
  const read = (p: string) => {
    try {
      return readFileSync(p, "utf8");
    } catch (e) {
      throw new Error(`Cannot read TLS file ${p}: ${(e as Error).message}`, { cause: e });
    }
  };
  const stop = new AbortController();
  const signal = AbortSignal.any([deps.signal, stop.signal]);
  let server: HttpServer;
  try {
    server = await serveHttp(handler, {
      hostname: config.listen.hostname,
      port: config.listen.port,
      signal,
      maxRequestBodySize: config.limits.maxBodyBytes + 64 * 1024,
      ...(config.tls ? { tls: { cert: read(config.tls.cert), key: read(config.tls.key), ...(config.tls.clientCa ? { ca: read(config.tls.clientCa), requestCert: true } : {}) } } : {}),
    });
  } catch (e) {
    close();
    await store.close();
    throw e;
  }
  let h2c: HttpServer | undefined;
  if (config.h2cListen) {
    try {
      h2c = await serveH2c(handler, { hostname: config.h2cListen.hostname, port: config.h2cListen.port, signal });
    } catch (e) {
      // The main listener is already up: stop it before giving up.
      stop.abort();
      await server.finished;
      close();
      await store.close();
      throw e;
    }
  }
  const prune = async () => {
    try {
      const t = now();
      const r = await store.prune(t - config.retention.raw, t - config.retention.history);
      if (r.records + r.minutes > 0) deps.log("info", "collector: retention pruned old data", r);
    } catch (e) {
      deps.log("warn", "collector: cannot prune", { error: (e as Error).message });
    }
  };
  const timer = setInterval(prune, config.retention.pruneEvery);
  (timer as { unref?: () => void }).unref?.();
  const host = server.hostname.includes(":") ? `[${server.hostname}]` : server.hostname;
  const url = `${config.tls ? "https" : "http"}://${host}:${server.port}`;
  const h2cUrl = h2c ? `http://${h2c.hostname.includes(":") ? `[${h2c.hostname}]` : h2c.hostname}:${h2c.port}` : undefined;
  deps.log("info", "collector: listening", { url, ...(h2cUrl ? { h2c: h2cUrl } : {}), store: config.store.kind === "sqlite" ? config.store.path : `jetstream:${config.store.stream}` });
  const finished = Promise.all([server.finished, h2c?.finished]).then(async () => {
    clearInterval(timer);
    close();
    await store.close();
  });
  return { url, ...(h2cUrl ? { h2cUrl } : {}), server, store, handler, counters, finished };
}
