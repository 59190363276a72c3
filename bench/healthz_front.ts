/**
 * @module A bare HTTP front for bench/healthz.sh --extra: serves GET /healthz with the body in
 * $BODY on $PORT, without probes, so the front's own cost can be compared with nginx's.
 *   bun bench/healthz_front.ts node   server/serve.ts (node:net), as the agent uses it
 *   bun bench/healthz_front.ts bun    runtime/bun_front.ts (Bun.listen), handing everything
 *                                     else to server/serve.ts on PORT+1
 *   bun bench/healthz_front.ts serve  Bun.serve with a static route (answered natively), for
 *                                     reference only: it cannot share its port with h2c
 */
import { startServer } from "../server/serve.ts";
import { encodeFastResponse } from "../server/fast_response.ts";
import { startBunFront } from "../runtime/bun_front.ts";
import { startBunServeStatic } from "../runtime/bun_serve_static.ts";

const which = process.argv[2];
const port = Number(process.env.PORT);
const body = process.env.BODY ?? '{"status":"UP"}';
if (!port || (which !== "node" && which !== "bun" && which !== "serve")) {
  console.error("Usage: PORT=N BODY=... bun bench/healthz_front.ts node|bun|serve");
  process.exit(2);
}
const healthz = encodeFastResponse(200, "application/json", body);
const fast = (_m: string, path: string) => path === "/healthz" ? healthz : undefined;
const limits = { headerTimeoutMs: 2000, requestTimeoutMs: 1000, idleTimeoutMs: 60_000, maxConnections: 4096, maxHeaderBytes: 8192, maxBodyBytes: 65536 };
const handler = () => new Response("not here\n", { status: 404 });

if (which === "serve") {
  startBunServeStatic("127.0.0.1", port, "/healthz", body, "application/json");
} else if (which === "node") {
  await startServer({ hostname: "127.0.0.1", port, limits, fast, handler });
} else {
  const backend = await startServer({ hostname: "127.0.0.1", port: port + 1, limits, fast, handler });
  startBunFront({ hostname: "127.0.0.1", port, fast, backend: { hostname: "127.0.0.1", port: backend.port }, ...limits });
}
console.error(`healthz front (${which}) on 127.0.0.1:${port}`);
