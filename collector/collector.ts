/**
 * @module The collector as one object: store + ingest + API + SSE + retention, served over HTTP.
 */
import { readPem } from "../common/pem.ts";
import type { LogFn } from "../common/log.ts";
import { type HttpServer, serveHttp } from "../runtime/serve_http.ts";
import { createAdmission } from "./admission.ts";
import { createApi } from "./api.ts";
import { createFleetGrid } from "./fleet_grid.ts";
import type { CollectorConfig } from "./config.ts";
import { createIngestHandler, INGEST_PATH, type IngestCounters, newIngestCounters } from "./ingest.ts";
import { openSqliteStore } from "./sqlite_store.ts";
import { createSseHub } from "./sse.ts";
import { problem } from "./problem.ts";
import type { Store } from "./store.ts";
import { createAuthenticator } from "./auth/mod.ts";
import { createIngestGuard, type IngestLimits } from "./ingest_limits.ts";
import type { ReadLimits } from "./read_limits.ts";
import { limitInFlight } from "./in_flight_limit.ts";
import { type AlarmEngine, alarmRoutes, alarmsPathBeside, notificationJson, startAlarms } from "./alarms/mod.ts";
import { principalOf, requireRole } from "./auth/mod.ts";

export interface RunningCollector {
  readonly url: string;
  readonly server: HttpServer;
  readonly store: Store;
  /** The request handler (tests and benchmarks may call it without a socket). */
  readonly handler: CollectorHandler;
  /** Ingest totals since start (for /metrics and the OpenTelemetry instruments). */
  readonly counters: IngestCounters;
  /** Resolves when the server stopped and the store is closed (after `signal` aborted). */
  readonly finished: Promise<void>;
  /** Apply a new config (SIGHUP); names what needs a restart. */
  reload(config: CollectorConfig): ReloadResult;
}

export interface CollectorDeps {
  readonly signal: AbortSignal;
  readonly log: LogFn;
  readonly now?: () => number;
  /** Use this store instead of opening the SQLite file named in the config. */
  readonly store?: Store;
}

/** What a SIGHUP reload could not apply without a restart (config paths). */
export interface ReloadResult {
  readonly needsRestart: readonly string[];
}

// Everything else is applied at once; these are read when the socket, the store or the SSE hub
// is made, or are part of a session's cookie.
const RESTART_KEYS = ["listen", "store", "tls", "otel", "staleAfter", "limits.maxBodyBytes", "limits.maxSseClients", "limits.maxIngestInFlight", "limits.maxIngestBytesInFlight", "auth.sessions"] as const;

function pick(c: CollectorConfig, path: string): unknown {
  let v: unknown = c;
  for (const k of path.split(".")) v = (v as Record<string, unknown> | undefined)?.[k];
  return v;
}

/** What the server knows about the connection of a request. */
export interface ConnInfo {
  readonly remoteAddress?: string;
  /** Exempt this request's connection from the idle timeout (an event stream). */
  readonly keepOpen?: () => void;
}

export type CollectorHandler = (req: Request, info?: ConnInfo) => Promise<Response>;

/** Build the request handler over a store (no socket). */
export function createCollectorHandler(config: CollectorConfig, store: Store, deps: { now: () => number; log: LogFn; alarms?: AlarmEngine }) {
  const counters = newIngestCounters();
  const sse = createSseHub({ maxClients: config.limits.maxSseClients, maxQueuedBytes: config.limits.maxSseQueueBytes });
  const unsubscribeStore = store.subscribe((c) => sse.publish(c));
  const unsubscribeAlarms = deps.alarms?.subscribe((n) => sse.publish({ type: "alarm", ...notificationJson(n) }));
  const unsubscribe = () => (unsubscribeStore(), unsubscribeAlarms?.());
  const authn = createAuthenticator(config.auth, { now: deps.now });
  const guard = createIngestGuard(ingestLimits(config));
  const ingest = createIngestHandler({ store, auth: authn, guard, maxBodyBytes: config.limits.maxBodyBytes, now: deps.now, log: deps.log, counters });
  let current = config;
  let reads = readLimits(config);
  const grid = createFleetGrid({ store, now: deps.now, staleAfterMs: config.staleAfter, publish: sse.publishEvent });
  const api = createApi({
    store, sse, counters, now: deps.now, staleAfterMs: config.staleAfter, grid, authn, sessionMaxAgeS: Math.floor(config.auth.sessions.maxAge / 1000), log: deps.log,
    readLimits: () => reads,
    retireAfterMs: () => current.retireAfter,
    nodeCount: () => guard.nodes(),
    routes: deps.alarms ? [alarmRoutes({ engine: deps.alarms, now: deps.now, operatorGuard: requireRole("operator"), userOf: (c) => principalOf(c)?.name ?? "anonymous" })] : [],
  });
  const admission = createAdmission(config.limits.maxIngestInFlight, config.limits.maxIngestBytesInFlight);
  const route: CollectorHandler = (req, info) => {
    // The hot path skips the router: one string compare on the path.
    const url = req.url;
    const p = url.indexOf("/", url.indexOf("//") + 2);
    const path = url.slice(p, url.indexOf("?", p) >>> 0);
    if (path === INGEST_PATH) {
      // Shed before anything is read or decoded (collector/admission.ts). A body counts by its
      // declared length, at most maxBodyBytes (a longer one gets 413 unread); undeclared, as maxBodyBytes.
      const declared = Number(req.headers.get("content-length") ?? NaN);
      const bytes = Math.min(config.limits.maxBodyBytes, declared >= 0 ? declared : config.limits.maxBodyBytes);
      if (!admission.tryEnter(bytes)) {
        counters.batches.shed = (counters.batches.shed ?? 0) + 1;
        return Promise.resolve(problem(
          {
            type: "overloaded", title: "Service Unavailable", status: 503,
            detail: `Cannot accept telemetry now: ${admission.inFlight} batches (${admission.bytesInFlight} bytes) in flight, limits.maxIngestInFlight = ${config.limits.maxIngestInFlight}, maxIngestBytesInFlight = ${config.limits.maxIngestBytesInFlight}; the agent's spool keeps it`,
          },
          { "retry-after": String(admission.retryAfterSeconds()) },
        ));
      }
      const started = performance.now();
      return ingest(req).finally(() => admission.leave(performance.now() - started, bytes));
    }
    return Promise.resolve(api.fetch(req, { remoteAddress: info?.remoteAddress, keepOpen: info?.keepOpen }));
  };
  const handler: CollectorHandler = limitInFlight(route, () => current.limits);
  /**
   * Take a new config at run time (SIGHUP): tokens, users, API tokens, the proxy, publicRead and
   * the ingest and read limits change at once; what needs a new socket or store is named.
   */
  const reload = (next: CollectorConfig): ReloadResult => {
    const needsRestart = RESTART_KEYS.filter((k) => JSON.stringify(pick(current, k)) !== JSON.stringify(pick(next, k)));
    authn.reload(next.auth);
    guard.reload(ingestLimits(next));
    reads = readLimits(next);
    current = next;
    return { needsRestart };
  };
  return { handler, counters, authn, guard, reload, config: () => current, close: () => (unsubscribe(), grid.close(), sse.close()) };
}

/** The ingest limits of a config (collector/ingest_limits.ts). */
export function ingestLimits(config: CollectorConfig): IngestLimits {
  const l = config.limits;
  return {
    maxRecordsPerBatch: l.maxRecordsPerBatch,
    maxFactsPerRecord: l.maxFactsPerRecord,
    maxStringLength: l.maxStringLength,
    maxProbesPerAgent: l.maxProbesPerAgent,
    maxProbes: l.maxProbes,
    maxNodes: l.maxNodes,
    recordTimeWindowMs: l.recordTimeWindow,
  };
}

/** The read limits of a config (collector/read_limits.ts). */
export function readLimits(config: CollectorConfig): ReadLimits {
  const l = config.limits;
  return { maxWindowMs: l.maxQueryWindow, maxQueryRows: l.maxQueryRows, maxPoints: l.maxPoints, maxQueryNodes: l.maxQueryNodes, maxPageSize: l.maxPageSize, maxHeavyReads: l.maxHeavyReads, maxHeavyQueue: l.maxHeavyQueue, heavyReadsPerSecond: l.heavyReadsPerSecond, requestsPerSecond: l.requestsPerSecond };
}

/** The store the config names. The NATS client is only loaded when the config asks for JetStream. */
async function openStore(config: CollectorConfig, deps: CollectorDeps): Promise<Store> {
  const s = config.store;
  if (s.kind === "sqlite") {
    return await openSqliteStore({
      path: s.path, raw: s.raw, synchronous: s.synchronous, hoursRetentionMs: config.retention.hours, daysRetentionMs: config.retention.days, readThread: s.readThread,
      onReadThreadError: (e) => deps.log("warn", "collector: history and latency reads run on the ingest thread: the read thread did not start", { error: e.message }),
    });
  }
  const { openJetstreamStore } = await import("./jetstream_store.ts");
  return await openJetstreamStore({ ...s, maxAge: config.retention.raw, keyTtl: s.keyTtl ?? config.retireAfter }, { log: deps.log });
}

/**
 * Open the store, start serving and pruning; everything stops when `deps.signal` aborts.
 * @throws {Error} "Cannot open SQLite database …", "Cannot listen on …", "Cannot read TLS file …"
 */
export async function startCollector(config: CollectorConfig, deps: CollectorDeps): Promise<RunningCollector> {
  const now = deps.now ?? Date.now;
  const store = deps.store ?? await openStore(config, deps);
  let alarms: AlarmEngine;
  try {
    const s = config.store;
    alarms = await startAlarms(config.alarms, {
      store, staleAfterMs: config.staleAfter, now, log: deps.log, signal: deps.signal,
      defaultPath: alarmsPathBeside(s.kind === "sqlite" ? s.path : s.readModel),
      ...(s.kind === "jetstream" ? { jetstream: s } : {}),
    });
  } catch (e) {
    await store.close();
    throw e;
  }
  const handled = createCollectorHandler(config, store, { now, log: deps.log, alarms });
  const { handler, counters, guard, reload, config: current } = handled;
  const close = async () => {
    handled.close();
    await alarms.close();
  };
  // Node and probe counts survive a restart: the limits count what the store already holds.
  guard.seed((await store.probes()).map((p) => ({ node: p.node, probe: p.probe.name })), (await store.fleet(now())).map((n) => n.id));
  const read = (p: string) => readPem(p);
  const signal = deps.signal;
  let server: HttpServer;
  try {
    server = await serveHttp(handler, {
      hostname: config.listen.hostname,
      port: config.listen.port,
      signal,
      maxRequestBodySize: config.limits.maxBodyBytes + 64 * 1024,
      idleTimeoutS: Math.round(config.limits.idleTimeout / 1000),
      // The exception stays in the log; the client gets an id to quote, never the message.
      onError: (e) => {
        const id = crypto.randomUUID();
        deps.log("error", "collector: request failed", { errorId: id, error: e.message });
        return problem({ type: "internal", title: "Internal Server Error", status: 500, detail: `Cannot answer: internal error ${id} (the collector's log has it)` });
      },
      ...(config.tls ? { tls: { cert: read(config.tls.cert), key: read(config.tls.key), ...(config.tls.clientCa ? { ca: read(config.tls.clientCa), requestCert: true } : {}) } } : {}),
    });
  } catch (e) {
    await close();
    await store.close();
    throw e;
  }
  const prune = async () => {
    try {
      const t = now();
      const r = await store.prune(t - current().retention.raw, t - current().retention.history);
      if (r.records + r.minutes > 0) deps.log("info", "collector: retention pruned old data", r);
    } catch (e) {
      deps.log("warn", "collector: cannot prune", { error: (e as Error).message });
    }
  };
  const retire = async () => {
    try {
      const gone = await store.retire?.(now() - current().retireAfter) ?? [];
      for (const id of gone) guard.forget(id);
      if (gone.length > 0) deps.log("info", "collector: retired nodes not seen within retireAfter", { nodes: gone.slice(0, 50), count: gone.length });
    } catch (e) {
      deps.log("warn", "collector: cannot retire nodes", { error: (e as Error).message });
    }
  };
  const timer = setInterval(() => void prune().then(retire), config.retention.pruneEvery);
  (timer as { unref?: () => void }).unref?.();
  const host = server.hostname.includes(":") ? `[${server.hostname}]` : server.hostname;
  const url = `${config.tls ? "https" : "http"}://${host}:${server.port}`;
  deps.log("info", "collector: listening", { url, store: config.store.kind === "sqlite" ? config.store.path : `jetstream:${config.store.stream}` });
  const finished = server.finished.then(async () => {
    clearInterval(timer);
    await close();
    await store.close();
  });
  return { url, server, store, handler, counters, finished, reload };
}
