import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { Socket } from "node:net";
import { createHttp1Client } from "./http1_client.ts";
import { countAbortListeners } from "../../common/abortable_test_kit.ts";

// Area port range 22000-22999; this file uses 22102.
const PORT = 22102;

describe("createHttp1Client()", () => {
  let server: http.Server;
  const served = new WeakMap<Socket, number>();
  let sockets = 0;
  before(async () => {
    server = http.createServer((req, res) => {
      const n = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, n);
      if (n === 1) sockets++;
      // A peer that drops a kept-alive connection at its second use, as a restarted server's
      // half-open socket does: the client must resend on a new connection.
      if (n === 2 && req.url === "/drop-second") {
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { "content-type": "text/plain", "x-a": "1" });
      res.end(`${req.method} ${req.url}`);
    });
    await new Promise<void>((r) => server.listen(PORT, "127.0.0.1", r));
  });
  after(async () => {
    server.closeAllConnections?.();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it("leaves no abort listener on a long-lived signal across 2,000 requests", async () => {
    const c = createHttp1Client({});
    const long = countAbortListeners(new AbortController().signal);
    try {
      for (let i = 0; i < 2000; i++) assert.equal((await c.request({ method: "GET", url: `http://127.0.0.1:${PORT}/n` }, long.signal)).status, 200);
      assert.equal(long.listeners(), 0);
    } finally {
      c.close();
    }
  });

  it("keeps one connection alive across requests", async () => {
    const c = createHttp1Client({});
    try {
      const before = sockets;
      const a = await c.request({ method: "GET", url: `http://127.0.0.1:${PORT}/a` }, AbortSignal.timeout(2000));
      const b = await c.request({ method: "POST", url: `http://127.0.0.1:${PORT}/b`, body: "x" }, AbortSignal.timeout(2000));
      assert.equal(new TextDecoder().decode(a.body), "GET /a");
      assert.equal(new TextDecoder().decode(b.body), "POST /b");
      assert.equal(b.headers["x-a"], "1");
      assert.equal(sockets - before, 1);
    } finally {
      c.close();
    }
  });

  it("resends once on a fresh connection when a reused one was reset", async () => {
    const c = createHttp1Client({});
    try {
      await c.request({ method: "GET", url: `http://127.0.0.1:${PORT}/drop-second` }, AbortSignal.timeout(2000));
      const r = await c.request({ method: "GET", url: `http://127.0.0.1:${PORT}/drop-second` }, AbortSignal.timeout(2000));
      assert.equal(r.status, 200);
    } finally {
      c.close();
    }
  });

  it("keeps at most maxBodyBytes of the body", async () => {
    const c = createHttp1Client({ maxBodyBytes: 3 });
    try {
      const r = await c.request({ method: "GET", url: `http://127.0.0.1:${PORT}/long` }, AbortSignal.timeout(2000));
      assert.equal(new TextDecoder().decode(r.body), "GET");
    } finally {
      c.close();
    }
  });
});
