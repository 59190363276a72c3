/**
 * @module The collector's read side with Hono: fleet API, SSE, /metrics, /healthz.
 * Every non-2xx answer is application/problem+json.
 */
import { Hono } from "hono";
import { parseDuration } from "../common/duration.ts";
import { problem } from "./problem.ts";
import { dashboardRoutes } from "./dashboard/mod.ts";
import { renderMetrics } from "./metrics.ts";
import type { FleetGrid } from "./fleet_grid.ts";
import type { IngestCounters } from "./ingest.ts";
import type { SseHub } from "./sse.ts";
import { type NodeSummary, type Store, StoreUnavailableError } from "./store.ts";
import { authGate, type AuthEnv, type Authenticator, LOGIN_OPEN_PATHS, loginRoutes } from "./auth/mod.ts";
import type { LogFn } from "../common/log.ts";
import { historyBody, latencyBody } from "./read_bodies.ts";
import { checkWindow, createReadGate, limitExceeded, READ_LIMIT_DEFAULTS, type ReadLimits } from "./read_limits.ts";

export interface ApiDeps {
  readonly store: Store;
  readonly sse: SseHub;
  readonly counters: IngestCounters;
  readonly now: () => number;
  readonly staleAfterMs: number;
  /** A node not seen for this long is retired (shown as `retiresAt` until then). */
  readonly retireAfterMs?: () => number;
  /** Who may read (collector/auth). */
  readonly authn: Authenticator;
  /** Session cookie lifetime (seconds). */
  readonly sessionMaxAgeS: number;
  readonly log: LogFn;
  /** Caps on reads (read_limits.ts); a function so SIGHUP can change them. @default the defaults */
  readonly readLimits?: () => ReadLimits;
  /** How many nodes the collector holds (for the rows estimate of an all-nodes query). */
  readonly nodeCount?: () => number;
  /** More routes mounted behind the auth gate, before the not-found handler (the alarm API). */
  readonly routes?: readonly Hono<AuthEnv>[];
  /** The compact fleet grid (collector/fleet_grid.ts), at /api/v1/fleet/grid. */
  readonly grid?: FleetGrid;
}

const jsonResponse = (body: string | Uint8Array<ArrayBuffer>) => new Response(body, { headers: { "content-type": "application/json" } });

/** Reachable without credentials: the load balancer's check and the login page. */
export const OPEN_PATHS: ReadonlySet<string> = new Set(["/healthz", ...LOGIN_OPEN_PATHS]);

/** A time parameter: epoch ms, an ISO 8601 date, or "-1h" / "now". */
export function parseTime(v: string | undefined, now: number): number | undefined {
  if (v === undefined || v === "" || v === "now") return now;
  if (/^\d+$/.test(v)) return Number(v);
  if (v.startsWith("-")) {
    const d = parseDuration(v.slice(1));
    return d === undefined ? undefined : now - d;
  }
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

export function createApi(deps: ApiDeps): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  const limits = deps.readLimits ?? (() => READ_LIMIT_DEFAULTS);
  app.use("*", authGate(deps.authn, { openPaths: OPEN_PATHS, requestsPerSecond: () => limits().requestsPerSecond }));
  const heavy = createReadGate(limits);
  const who = (c: { get(k: "principal"): { name: string; via: string } | undefined }) => {
    const p = c.get("principal");
    return p ? `${p.via}:${p.name}` : "?";
  };
  const withOnline = (n: NodeSummary, now: number) => ({
    ...n,
    online: n.running && now - n.lastSeen < deps.staleAfterMs,
    ...(deps.retireAfterMs ? { retiresAt: n.lastSeen + deps.retireAfterMs() } : {}),
  });
  const badQuery = (detail: string) => problem({ type: "bad-query", title: "Bad Request", status: 400, detail });
  const window = (q: (k: string) => string | undefined) => {
    const now = deps.now();
    const to = parseTime(q("to"), now);
    const from = q("from") === undefined ? (to ?? now) - 3_600_000 : parseTime(q("from"), now);
    if (to === undefined || from === undefined || from >= to) return undefined;
    return { from, to };
  };

  app.get("/healthz", () => new Response('{"status":"UP"}', { headers: { "content-type": "application/json" } }));

  app.get("/metrics", (c) =>
    heavy.run(who(c), async () => {
      const body = await renderMetrics({ store: deps.store, counters: deps.counters, sseClients: deps.sse.clients(), now: deps.now(), staleAfterMs: deps.staleAfterMs });
      return new Response(body, { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" } });
    }));

  // Paged by node id: `?limit=N&after=<last id of the previous page>`; `next` is there when more follow.
  app.get("/api/v1/fleet", async (c) => {
    const now = deps.now();
    const max = limits().maxPageSize;
    const limitText = c.req.query("limit");
    const limit = limitText === undefined ? max : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1) return badQuery("Cannot read limit: expected a positive integer");
    if (limit > max) return limitExceeded(`Cannot return ${limit} nodes in one page: limits.maxPageSize is ${max}`);
    const after = c.req.query("after");
    let all = await deps.store.fleet(now);
    if (after !== undefined) all = all.filter((n) => n.id > after);
    const page = all.slice(0, limit).map((n) => withOnline(n, now));
    return c.json({ generatedAt: now, nodes: page, ...(all.length > limit ? { next: page[page.length - 1].id } : {}) });
  });

  if (deps.grid) app.get("/api/v1/fleet/grid", (c) => deps.grid!.handle(c.req.raw));

  app.get("/api/v1/nodes/:id", async (c) => {
    const now = deps.now();
    const node = await deps.store.node(c.req.param("id"), now);
    if (!node) return problem({ type: "not-found", title: "Not Found", status: 404, detail: `Cannot find node ${JSON.stringify(c.req.param("id"))}` });
    return c.json(withOnline(node, now));
  });

  app.get("/api/v1/nodes/:id/probes/:name/history", async (c) => {
    const w = window((k) => c.req.query(k));
    if (!w) return badQuery("Cannot read the window: from and to must be epoch ms, ISO dates or -DURATION, with from < to");
    const step = parseDuration(c.req.query("step") ?? "1m");
    if (step === undefined || step < 60_000) return badQuery("Cannot read step: expected a duration of at least 1m");
    const tooMuch = checkWindow(limits(), w, 1);
    if (tooMuch) return tooMuch;
    const points = Math.ceil((w.to - w.from) / step);
    if (points > limits().maxPoints) return limitExceeded(`Cannot return ${points} points: limits.maxPoints is ${limits().maxPoints}; use a larger step or a shorter window`);
    const { id, name } = c.req.param();
    const notFound = () => problem({ type: "not-found", title: "Not Found", status: 404, detail: `Cannot find probe ${JSON.stringify(name)} on node ${JSON.stringify(id)}` });
    const store = deps.store;
    return heavy.run(who(c), async () => {
      // A store that answers off this thread hands over finished bytes (collector/sqlite/read_thread.ts).
      if (store.historyBody) {
        const body = await store.historyBody(id, name, w, step);
        return body ? jsonResponse(body) : notFound();
      }
      const points = await store.history(id, name, w, step);
      if (!points) return notFound();
      const summary = await store.latency(name, w, [id]);
      return jsonResponse(historyBody({ node: id, probe: name, window: w, step, summary, points }));
    });
  });

  app.get("/api/v1/probes/:name/latency", async (c) => {
    const w = window((k) => c.req.query(k));
    if (!w) return badQuery("Cannot read the window: from and to must be epoch ms, ISO dates or -DURATION, with from < to");
    const nodes = c.req.query("nodes")?.split(",").map((s) => s.trim()).filter(Boolean);
    if (nodes && nodes.length > limits().maxQueryNodes) return limitExceeded(`Cannot query ${nodes.length} nodes at once: limits.maxQueryNodes is ${limits().maxQueryNodes}`);
    const tooMuch = checkWindow(limits(), w, nodes?.length ?? deps.nodeCount?.() ?? 1);
    if (tooMuch) return tooMuch;
    const probe = c.req.param("name"), store = deps.store;
    return heavy.run(who(c), async () =>
      jsonResponse(store.latencyBody ? await store.latencyBody(probe, w, nodes) : latencyBody(probe, w, nodes, await store.latency(probe, w, nodes))));
  });

  // An event stream stays open however long it is idle (the server's idle timeout skips it).
  // `?types=grid,alarm` limits the stream to those event names (every event when omitted).
  app.get("/api/v1/events", (c) => {
    const res = deps.sse.connect(c.req.query("types")?.split(",").map((t) => t.trim()).filter(Boolean));
    if (res.ok) c.env?.keepOpen?.();
    return res;
  });
  for (const r of deps.routes ?? []) app.route("/", r);
  app.route("/", loginRoutes({ authn: deps.authn, now: deps.now, maxAgeS: deps.sessionMaxAgeS, log: deps.log }));
  app.route("/", dashboardRoutes());

  app.notFound((c) => problem({ type: "not-found", title: "Not Found", status: 404, detail: `Cannot ${c.req.method} ${new URL(c.req.url).pathname}: no such endpoint` }));
  // The exception stays in the log; the client gets an id to quote, never the message.
  app.onError((e, c) => {
    if (e instanceof StoreUnavailableError) {
      return problem({ type: "store-unavailable", title: "Service Unavailable", status: 503, detail: e.message }, { "retry-after": String(e.retryAfterS) });
    }
    const id = crypto.randomUUID();
    deps.log("error", "collector: request failed", { errorId: id, method: c.req.method, path: c.req.path, error: e.message });
    return problem({ type: "internal", title: "Internal Server Error", status: 500, detail: `Cannot answer: internal error ${id} (the collector's log has it)` });
  });
  return app;
}
