/**
 * @module A bare HTTP front for bench/healthz.sh --extra: serves GET /healthz with the body in
 * $BODY on $PORT, without probes, so the front's own cost can be compared with nginx's.
 *   bun bench/healthz_front.ts node   server/serve.ts (node:net), as the agent uses it
 *   bun bench/healthz_front.ts bun    runtime/bun_front.ts (Bun.listen), handing everything
 *                                     else to server/serve.ts on PORT+1
 *   bun bench/healthz_front.ts h2     node:http2 listening by itself (no first-byte sniffing,
 *                                     no hand-over), h2c only, for --extra-h2c
 *   bun bench/healthz_front.ts serve  Bun.serve with a static route (answered natively), for
 *                                     reference only: it cannot share its port with h2c
 */
import http2 from "node:http2";
import { startServer } from "../server/serve.ts";
import { encodeFastResponse } from "../server/fast_response.ts";
import { startBunFront } from "../runtime/bun_front.ts";
import { startBunServeStatic } from "../runtime/bun_serve_static.ts";

const which = process.argv[2];
const port = Number(process.env.PORT);
const body = process.env.BODY ?? '{"status":"UP"}';
if (!port || !["node", "bun", "serve", "h2"].includes(which)) {
  console.error("Usage: PORT=N BODY=... bun bench/healthz_front.ts node|bun|serve|h2");
  process.exit(2);
}
const healthz = encodeFastResponse(200, "application/json", body);
const fast = (_m: string, path: string) => path === "/healthz" ? healthz : undefined;
const limits = { headerTimeoutMs: 2000, requestTimeoutMs: 1000, idleTimeoutMs: 60_000, maxConnections: 4096, maxHeaderBytes: 8192, maxBodyBytes: 65536 };
const handler = () => new Response("not here\n", { status: 404 });

if (which === "h2") {
  // The same answer as server/serve.ts's h2Fast, from a node:http2 server that owns its socket.
  const h2 = http2.createServer({ settings: { maxConcurrentStreams: 128 } });
  h2.on("stream", (s, headers) => {
    const stream = s as http2.ServerHttp2Stream;
    stream.on("error", () => {});
    if (headers[":path"] !== "/healthz") {
      stream.respond({ ":status": 404 }, { endStream: true });
      return;
    }
    stream.respond({ ":status": 200, "content-type": healthz.contentType, "content-length": healthz.body.length, "cache-control": "no-store" });
    stream.end(healthz.body);
  });
  await new Promise<void>((r) => h2.listen(port, "127.0.0.1", r));
} else if (which === "serve") {
  startBunServeStatic("127.0.0.1", port, "/healthz", body, "application/json");
} else if (which === "node") {
  await startServer({ hostname: "127.0.0.1", port, limits, fast, handler });
} else {
  const backend = await startServer({ hostname: "127.0.0.1", port: port + 1, limits, fast, handler });
  startBunFront({ hostname: "127.0.0.1", port, fast, backend: { hostname: "127.0.0.1", port: backend.port }, ...limits });
}
console.error(`healthz front (${which}) on 127.0.0.1:${port}`);
