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
import type { NodeSummary, Store } from "./store.ts";

export interface ApiDeps {
  readonly store: Store;
  readonly sse: SseHub;
  readonly counters: IngestCounters;
  readonly now: () => number;
  readonly staleAfterMs: number;
  /** The compact fleet grid (collector/fleet_grid.ts), at /api/v1/fleet/grid. */
  readonly grid?: FleetGrid;
}

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

export function createApi(deps: ApiDeps): Hono {
  const app = new Hono();
  const withOnline = (n: NodeSummary, now: number) => ({ ...n, online: n.running && now - n.lastSeen < deps.staleAfterMs });
  const badQuery = (detail: string) => problem({ type: "bad-query", title: "Bad Request", status: 400, detail });
  const window = (q: (k: string) => string | undefined) => {
    const now = deps.now();
    const to = parseTime(q("to"), now);
    const from = q("from") === undefined ? (to ?? now) - 3_600_000 : parseTime(q("from"), now);
    if (to === undefined || from === undefined || from >= to) return undefined;
    return { from, to };
  };

  app.get("/healthz", () => new Response('{"status":"UP"}', { headers: { "content-type": "application/json" } }));

  app.get("/metrics", async () => {
    const body = await renderMetrics({ store: deps.store, counters: deps.counters, sseClients: deps.sse.clients(), now: deps.now(), staleAfterMs: deps.staleAfterMs });
    return new Response(body, { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" } });
  });

  app.get("/api/v1/fleet", async (c) => {
    const now = deps.now();
    const nodes = (await deps.store.fleet(now)).map((n) => withOnline(n, now));
    return c.json({ generatedAt: now, nodes });
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
    const { id, name } = c.req.param();
    const points = await deps.store.history(id, name, w, step);
    if (!points) return problem({ type: "not-found", title: "Not Found", status: 404, detail: `Cannot find probe ${JSON.stringify(name)} on node ${JSON.stringify(id)}` });
    const summary = await deps.store.latency(name, w, [id]);
    return c.json({ node: id, probe: name, from: w.from, to: w.to, step, summary, points });
  });

  app.get("/api/v1/probes/:name/latency", async (c) => {
    const w = window((k) => c.req.query(k));
    if (!w) return badQuery("Cannot read the window: from and to must be epoch ms, ISO dates or -DURATION, with from < to");
    const nodes = c.req.query("nodes")?.split(",").map((s) => s.trim()).filter(Boolean);
    const summary = await deps.store.latency(c.req.param("name"), w, nodes);
    return c.json({ probe: c.req.param("name"), from: w.from, to: w.to, nodes: nodes ?? "all", ...summary });
  });

  app.get("/api/v1/events", (c) => deps.sse.connect(c.req.query("types")?.split(",").map((t) => t.trim()).filter(Boolean)));
  app.route("/", dashboardRoutes());

  app.notFound((c) => problem({ type: "not-found", title: "Not Found", status: 404, detail: `Cannot ${c.req.method} ${new URL(c.req.url).pathname}: no such endpoint` }));
  app.onError((e) => problem({ type: "internal", title: "Internal Server Error", status: 500, detail: e.message }));
  return app;
}
