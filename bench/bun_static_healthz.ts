/**
 * @module Bun's ceiling for the /healthz bench (bench/healthz_run.ts runs it beside nginx): a bare
 * `Bun.serve({ http2: true })` whose only route is /healthz, a static `Response` with the body
 * from `BODY` and the agent's headers (content-type application/json, cache-control no-store),
 * on `PORT`, loopback. None of the agent's code: what Bun's native static route costs by itself,
 * so the bench tells the gap that is Bun's from the gap that is the agent's.
 * Run: `PORT=8080 BODY='{"status":"UP"}' bun bench/bun_static_healthz.ts` (runs until killed).
 */
const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error(`Cannot start: PORT must be a port number, got ${JSON.stringify(process.env.PORT)}`);
const body = new TextEncoder().encode(process.env.BODY ?? '{"status":"UP"}');
const answer = new Response(body, { status: 200, headers: { "content-type": "application/json", "cache-control": "no-store" } });
Bun.serve({
  hostname: "127.0.0.1",
  port,
  http2: true,
  development: false,
  // The same route shape as runtime/bun_http_serve.ts (GET and HEAD answered natively).
  routes: { "/healthz": { GET: answer, HEAD: answer } },
  fetch: () => new Response("not found", { status: 404 }),
});
