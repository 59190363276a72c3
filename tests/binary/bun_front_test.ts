/**
 * runtime/bun_front.ts (the Bun.listen experiment, not wired in): fast paths answered from
 * pre-encoded bytes, everything else handed to server/serve.ts intact. Ports 24580-24589.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { startServer } from "../../server/serve.ts";
import { encodeFastResponse } from "../../server/fast_response.ts";
import type { ServerHandle } from "../../server/types.ts";
import { type BunFrontHandle, startBunFront } from "../../runtime/bun_front.ts";
import { curl } from "./curl.ts";

const port = 24580;
const UP = encodeFastResponse(200, "application/json", '{"status":"UP"}');

/** Write `data`, read until the peer closes or `ms` pass. */
function exchange(data: string, ms = 1500): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    let text = "";
    const t = setTimeout(() => {
      s.destroy();
      resolve({ text, closed: false });
    }, ms);
    s.on("connect", () => s.write(data));
    s.on("data", (d) => (text += d));
    s.on("error", () => {});
    s.on("close", () => {
      clearTimeout(t);
      resolve({ text, closed: true });
    });
  });
}

describe("runtime/bun_front.ts", () => {
  let backend: ServerHandle;
  let front: BunFrontHandle;
  const limits = { headerTimeoutMs: 500, requestTimeoutMs: 1000, idleTimeoutMs: 5000, maxConnections: 64, maxHeaderBytes: 8192, maxBodyBytes: 65536 };
  before(async () => {
    backend = await startServer({
      hostname: "127.0.0.1",
      port: port + 1,
      limits,
      fast: (_m, p) => (p === "/healthz" ? UP : undefined),
      handler: (req) => new Response(`backend ${new URL(req.url).pathname}`, { status: 200 }),
    });
    front = startBunFront({ hostname: "127.0.0.1", port, fast: (_m, p) => (p === "/healthz" ? UP : undefined), backend: { hostname: "127.0.0.1", port: backend.port }, ...limits });
  });
  after(async () => {
    front?.close();
    await backend?.close(AbortSignal.timeout(2000));
  });

  it("answers pipelined /healthz itself and keeps the connection", async () => {
    const r = await exchange("GET /healthz HTTP/1.1\r\nhost: x\r\n\r\nGET /healthz?x=1 HTTP/1.1\r\nhost: x\r\n\r\n", 500);
    assert.equal(r.text.split("HTTP/1.1 200 OK").length - 1, 2);
    assert.equal(r.closed, false);
  });

  it("hands the connection over at the first request it does not know, in order", async () => {
    const r = await exchange("GET /healthz HTTP/1.1\r\nhost: x\r\n\r\nGET /status HTTP/1.1\r\nhost: x\r\n\r\nGET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    const statuses = [...r.text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
    assert.deepEqual(statuses, ["200", "200", "200"]);
    assert.ok(r.text.indexOf("backend /status") > r.text.indexOf('{"status":"UP"}'));
    assert.equal(r.closed, true);
  });

  it("closes after connection: close", async () => {
    const r = await exchange("GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    assert.match(r.text, /^HTTP\/1\.1 200 OK/);
    assert.equal(r.closed, true);
  });

  it("passes h2c prior knowledge through to the node:http2 backend", async () => {
    const r = await curl(["--http2-prior-knowledge"], `http://127.0.0.1:${port}/status`);
    assert.deepEqual([r.status, r.httpVersion, r.body], [200, "2", "backend /status"]);
  });

  it("cuts a head that never completes at the header timeout", async () => {
    const t0 = performance.now();
    const r = await exchange("GET /healthz HTTP/1.1\r\nhost: x\r\n", 3000);
    assert.equal(r.closed, true);
    assert.ok(performance.now() - t0 < 1500);
  });
});
