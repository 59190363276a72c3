/**
 * @module The alarm REST API as a Hono sub-app (docs/alarms.md, "API"):
 * `GET /api/v1/alarms` (filters, counts by severity), `GET /api/v1/alarms/:id`,
 * `POST /api/v1/alarms/:id/ack | unack | clear` (operator), maintenance windows, alarm history
 * and availability (JSON or CSV). Every non-2xx answer is problem+json.
 */
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { problem } from "../problem.ts";
import { parseTime } from "../api.ts";
import { availabilityCsv, computeAvailability } from "./availability.ts";
import type { AlarmEngine, AlarmFilter } from "./engine.ts";
import { maintenanceInputSchema, newWindow } from "./maintenance.ts";
import { alarmJson, SEVERITIES, type Severity } from "./types.ts";

export interface AlarmRoutesDeps {
  readonly engine: AlarmEngine;
  readonly now: () => number;
  /** Runs before every action (ack, unack, clear, maintenance changes): the collector's requireRole("operator"). */
  // deno-lint-ignore no-explicit-any
  readonly operatorGuard?: MiddlewareHandler<any>;
  /** The user behind a request (recorded as ackUserId, clearUserId, createdBy). @default "anonymous" */
  // deno-lint-ignore no-explicit-any
  readonly userOf?: (c: Context<any>) => string;
}

/** Largest alarm list answer, history rows and availability span (bounded cost per request). */
export const LIMITS = { list: 10_000, history: 10_000, availabilityDays: 400 } as const;

const bad = (detail: string) => problem({ type: "bad-query", title: "Bad Request", status: 400, detail });
const notFound = (id: string) => problem({ type: "not-found", title: "Not Found", status: 404, detail: `Cannot find alarm ${JSON.stringify(id)}` });

// deno-lint-ignore no-explicit-any
export function alarmRoutes(deps: AlarmRoutesDeps): Hono<any> {
  // deno-lint-ignore no-explicit-any
  const app = new Hono<any>();
  const e = deps.engine;
  const guard: MiddlewareHandler = deps.operatorGuard ?? (async (_c, next) => await next());
  const userOf = deps.userOf ?? (() => "anonymous");

  app.get("/api/v1/alarms", (c) => {
    const q = (k: string) => c.req.query(k);
    const f: { -readonly [K in keyof AlarmFilter]: AlarmFilter[K] } = {};
    if (q("severity")) {
      const sev = q("severity")!.split(",").map((s) => s.trim().toUpperCase());
      const badSev = sev.find((s) => !(SEVERITIES as readonly string[]).includes(s));
      if (badSev) return bad(`Cannot filter by severity ${JSON.stringify(badSev)}: expected ${SEVERITIES.join(", ")}`);
      f.severity = sev as Severity[];
    }
    if (q("node")) f.node = q("node");
    const labels = c.req.queries("label");
    if (labels) {
      const l: Record<string, string> = {};
      for (const s of labels) {
        const i = s.indexOf("=");
        if (i <= 0) return bad(`Cannot read label filter ${JSON.stringify(s)}: expected name=value`);
        l[s.slice(0, i)] = s.slice(i + 1);
      }
      f.labels = l;
    }
    const state = q("state");
    if (state !== undefined) {
      if (!["active", "cleared", "all"].includes(state)) return bad(`Cannot filter by state ${JSON.stringify(state)}: expected active, cleared or all`);
      f.state = state as "active";
    }
    const ack = q("ack")?.toUpperCase();
    if (ack !== undefined) {
      if (ack !== "ACKNOWLEDGED" && ack !== "UNACKNOWLEDGED") return bad(`Cannot filter by ack ${JSON.stringify(q("ack"))}: expected acknowledged or unacknowledged`);
      f.ack = ack;
    }
    if (q("root") === "true") f.root = true;
    const limit = Number(q("limit") ?? 1000);
    if (!Number.isInteger(limit) || limit < 1 || limit > LIMITS.list) return bad(`Cannot read limit: expected 1..${LIMITS.list}`);
    f.limit = limit;
    const r = e.list(f);
    return c.json({ generatedAt: new Date(deps.now()).toISOString(), total: r.total, counts: r.counts, alarms: r.alarms.map(alarmJson) });
  });

  app.get("/api/v1/alarms/:id", (c) => {
    const a = e.get(c.req.param("id"));
    return a ? c.json(alarmJson(a)) : notFound(c.req.param("id"));
  });

  for (const action of ["ack", "unack", "clear"] as const) {
    app.post(`/api/v1/alarms/:id/${action}`, guard, async (c) => {
      const id = c.req.param("id");
      if (!e.get(id)) return notFound(id);
      const user = userOf(c);
      const a = action === "clear" ? await e.clear(id, user) : await e.setAck(id, action === "ack", user);
      return a ? c.json(alarmJson(a)) : notFound(id);
    });
  }

  app.get("/api/v1/alarms-history", async (c) => {
    const now = deps.now();
    const to = parseTime(c.req.query("to"), now);
    const from = c.req.query("from") === undefined ? (to ?? now) - 86_400_000 : parseTime(c.req.query("from"), now);
    if (to === undefined || from === undefined || from >= to) return bad("Cannot read the window: from and to must be epoch ms, ISO dates or -DURATION, with from < to");
    const node = c.req.query("node");
    const rows = await e.history({ ...(node ? { node } : {}), from, to, limit: LIMITS.history });
    return c.json({ from, to, node: node ?? "all", alarms: rows.map(alarmJson) });
  });

  app.get("/api/v1/maintenance", (c) => c.json({ windows: e.maintenance() }));
  app.post("/api/v1/maintenance", guard, async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return bad("Cannot read the maintenance window: the body is not JSON");
    }
    const r = maintenanceInputSchema.safeParse(body);
    if (!r.success) return bad(`Cannot read the maintenance window: ${r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
    const win = newWindow(r.data, crypto.randomUUID(), userOf(c), deps.now());
    await e.addMaintenance(win);
    return c.json(win, 201);
  });
  app.delete("/api/v1/maintenance/:id", guard, async (c) => {
    return (await e.deleteMaintenance(c.req.param("id")))
      ? new Response(null, { status: 204 })
      : problem({ type: "not-found", title: "Not Found", status: 404, detail: `Cannot find maintenance window ${JSON.stringify(c.req.param("id"))}` });
  });

  app.get("/api/v1/nodes/:id/availability", async (c) => {
    const by = c.req.query("by") ?? "day";
    if (by !== "day" && by !== "month") return bad(`Cannot group by ${JSON.stringify(by)}: expected day or month`);
    const now = deps.now();
    const to = parseTime(c.req.query("to"), now);
    const from = c.req.query("from") === undefined ? (to ?? now) - 30 * 86_400_000 : parseTime(c.req.query("from"), now);
    if (to === undefined || from === undefined || from >= to) return bad("Cannot read the window: from and to must be epoch ms, ISO dates or -DURATION, with from < to");
    if (to - from > LIMITS.availabilityDays * 86_400_000) return bad(`Cannot compute availability over more than ${LIMITS.availabilityDays} days`);
    const node = c.req.param("id");
    const alarms = await e.history({ node, from, to, limit: LIMITS.history });
    const report = computeAvailability({ node, from, to, by, alarms, probes: e.probesOf(node) ?? [], windows: e.maintenance(), labels: e.labelsOf(node), now });
    if (c.req.query("format") === "csv" || (c.req.header("accept") ?? "").includes("text/csv")) {
      return new Response(availabilityCsv(report), { headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="availability-${node}.csv"` } });
    }
    return c.json(report);
  });
  return app;
}
