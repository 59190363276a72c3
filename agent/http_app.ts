/**
 * @module The agent's HTTP app, socket-free: `createAgentApp(view).fetch(request)` answers every
 * path of docs/health.md. The server in front answers /healthz and /readyz from the same
 * pre-encoded snapshot without calling in here (agent/serve_agent.ts); this app answers them too,
 * for servers and methods (HEAD) that reach it.
 */
import { Hono } from "hono";
import { problemResponse } from "../server/problem.ts";
import type { FastResponse } from "../server/types.ts";
import type { HealthSnapshot } from "./healthz.ts";

/** What the app reads from the running agent; every call is synchronous and cheap. */
export interface AgentView {
  snapshot(): HealthSnapshot;
  /** Event-loop lag now, in ms, and the bound /livez holds it to. */
  loopLag(): { readonly ms: number; readonly maxMs: number };
  status(): unknown;
  metrics(): string;
  log?(level: "error", msg: string, fields: Record<string, unknown>): void;
}

/** The paths the agent serves; any other method than GET or HEAD on them is 405 (RFC 9110 §15.5.6). */
export const AGENT_PATHS: readonly string[] = ["/healthz", "/readyz", "/livez", "/status", "/metrics"];

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

function fastToResponse(f: FastResponse): Response {
  return new Response(f.body as Uint8Array<ArrayBuffer>, { status: f.status, headers: { "content-type": f.contentType, "cache-control": "no-store" } });
}

export function createAgentApp(view: AgentView): Hono {
  const app = new Hono();
  const paths = new Set(AGENT_PATHS);
  app.use("*", async (c, next) => {
    const path = c.req.path;
    if (paths.has(path) && c.req.method !== "GET" && c.req.method !== "HEAD") {
      return problemResponse({ title: "Method Not Allowed", status: 405, detail: `${c.req.method} is not allowed on ${path}`, cause: "METHOD_NOT_ALLOWED" }, { allow: "GET, HEAD" });
    }
    await next();
  });
  app.get("/healthz", () => fastToResponse(view.snapshot().healthz));
  app.get("/readyz", () => fastToResponse(view.snapshot().readyz));
  app.get("/livez", () => {
    const { ms, maxMs } = view.loopLag();
    if (ms > maxMs) {
      return problemResponse({ title: "Event loop stalled", status: 503, detail: `event-loop lag ${Math.round(ms)}ms exceeds ${maxMs}ms`, cause: "EVENT_LOOP_LAG" });
    }
    return Response.json({ live: true, eventLoopLagMs: Math.round(ms * 10) / 10 });
  });
  app.get("/status", () => Response.json(view.status()));
  app.get("/metrics", () => new Response(view.metrics(), { headers: { "content-type": METRICS_CONTENT_TYPE } }));
  app.notFound((c) => problemResponse({ title: "Not Found", status: 404, detail: `no resource at ${c.req.path}`, cause: "RESOURCE_URI_STRUCTURE_NOT_FOUND" }));
  app.onError((e) => {
    view.log?.("error", "Cannot answer request", { error: String(e) });
    return problemResponse({ title: "Internal Server Error", status: 500, detail: "the agent failed to answer", cause: "SYSTEM_FAILURE" });
  });
  return app;
}
