import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http2 from "node:http2";
import { readFileSync } from "node:fs";
import { h2Fetch } from "./h2_fetch.ts";

const certPath = new URL("../../server/testdata/localhost.crt", import.meta.url).pathname;
const keyPath = new URL("../../server/testdata/localhost.key", import.meta.url).pathname;

/** Answers every stream: 204 for DELETE, otherwise 200 with what it got, as JSON. */
function answer(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) {
  let body = "";
  stream.on("data", (d: Uint8Array) => (body += new TextDecoder().decode(d)));
  stream.on("end", () => {
    if (headers[":method"] === "DELETE") {
      stream.respond({ ":status": 204 });
      stream.end();
      return;
    }
    stream.respond({ ":status": 200, "content-type": "application/json", "x-seen": "1" });
    stream.end(JSON.stringify({ method: headers[":method"], path: headers[":path"], auth: headers.authorization, body }));
  });
}

describe("h2Fetch() over the one HTTP/2 client", () => {
  let h2c: http2.Http2Server;
  let h2: http2.Http2SecureServer;
  let h2cOrigin = "", h2Origin = "";
  before(async () => {
    h2c = http2.createServer();
    h2c.on("stream", answer);
    h2 = http2.createSecureServer({ cert: readFileSync(certPath), key: readFileSync(keyPath) });
    h2.on("stream", answer);
    await new Promise<void>((r) => h2c.listen(0, "127.0.0.1", r));
    await new Promise<void>((r) => h2.listen(0, "127.0.0.1", r));
    h2cOrigin = `http://127.0.0.1:${(h2c.address() as { port: number }).port}`;
    h2Origin = `https://localhost:${(h2.address() as { port: number }).port}`;
  });
  after(async () => {
    await new Promise((r) => h2c.close(r));
    await new Promise((r) => h2.close(r));
  });

  it("POSTs a body with headers over h2c and returns status, headers and body as a Response", async () => {
    const f = h2Fetch(h2cOrigin);
    try {
      const res = await f(`${h2cOrigin}/v1/ingest?x=1`, { method: "POST", body: new TextEncoder().encode("batch"), headers: { authorization: "Bearer t" }, signal: AbortSignal.timeout(2000) });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("x-seen"), "1");
      assert.deepEqual(await res.json(), { method: "POST", path: "/v1/ingest?x=1", auth: "Bearer t", body: "batch" });
      const empty = await f(`${h2cOrigin}/x`, { method: "DELETE", signal: AbortSignal.timeout(2000) });
      assert.equal(empty.status, 204);
      assert.equal(empty.body, null);
    } finally {
      f.close();
    }
  });

  it("speaks h2 over TLS with the CA from a PEM file, and not without it", async () => {
    const f = h2Fetch(h2Origin, { ca: certPath });
    try {
      const res = await f(`${h2Origin}/healthz`, { signal: AbortSignal.timeout(2000) });
      assert.equal(res.status, 200);
    } finally {
      f.close();
    }
    const untrusted = h2Fetch(h2Origin);
    try {
      await assert.rejects(untrusted(`${h2Origin}/healthz`, { signal: AbortSignal.timeout(2000) }), /certificate|self.signed|unable to verify/i);
    } finally {
      untrusted.close();
    }
    assert.throws(() => h2Fetch(h2Origin, { ca: "/nonexistent/ca.pem" }), /^Error: Cannot read TLS ca file \/nonexistent\/ca\.pem/);
  });

  it("gives up when its signal aborts", async () => {
    const f = h2Fetch(h2cOrigin);
    try {
      await assert.rejects(f(`${h2cOrigin}/`, { signal: AbortSignal.abort(new DOMException("stop", "AbortError")) }), { name: "AbortError" });
    } finally {
      f.close();
    }
  });
});
