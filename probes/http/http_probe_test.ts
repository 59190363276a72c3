import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import nodeHttp from "node:http";
import nodeHttps from "node:https";
import http2 from "node:http2";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { http } from "./mod.ts";
import { nodeNet } from "../../runtime/node_net.ts";
import { runProbe } from "../run_probe.ts";
import { systemClock } from "../../runtime/clock.ts";
import type { ProbeInstance } from "../types.ts";

// Area port range 22000-22999; this file uses 2211x.
const H1 = 22111, H2C = 22112, H2 = 22113, H1S = 22114;
const CA = fileURLToPath(new URL("../_http/testdata/localhost.crt", import.meta.url));
const KEY = fileURLToPath(new URL("../_http/testdata/localhost.key", import.meta.url));
const env = { net: nodeNet, now: () => Date.now(), log: () => {} };

function make(target: string, options: Record<string, unknown>): ProbeInstance {
  return http.create({ name: "t", target, intervalMs: 1000, timeoutMs: 2000, options: http.options.parse(options) }, env);
}
async function once(target: string, options: Record<string, unknown>) {
  const p = make(target, options);
  try {
    return await runProbe(p, 2000, systemClock);
  } finally {
    await p.close();
  }
}

function answer(path: string): { status: number; type: string; body: string } {
  if (path === "/problem") {
    return { status: 503, type: "application/problem+json", body: JSON.stringify({ status: 503, title: "Service Unavailable", cause: "NF_CONGESTION" }) };
  }
  if (path === "/missing") return { status: 404, type: "text/plain", body: "no" };
  return { status: 200, type: "text/plain", body: "edge node UP since boot" };
}

describe("http probe", () => {
  let h1: nodeHttp.Server, h1s: nodeHttps.Server, h2c: http2.Http2Server, h2: http2.Http2SecureServer;
  const h2Sessions = new Set<http2.ServerHttp2Session>();
  before(async () => {
    h1 = nodeHttp.createServer((req, res) => {
      if (req.url === "/hang") return;
      const a = answer(req.url ?? "/");
      res.writeHead(a.status, { "content-type": a.type, "x-method": req.method ?? "" });
      res.end(a.body);
    });
    h1s = nodeHttps.createServer({ key: readFileSync(KEY), cert: readFileSync(CA) }, (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("tls UP");
    });
    await new Promise<void>((r) => h1s.listen(H1S, "127.0.0.1", r));
    const onStream = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
      const a = answer(String(headers[":path"]));
      stream.respond({ ":status": a.status, "content-type": a.type });
      stream.end(a.body);
    };
    h2c = http2.createServer();
    h2c.on("stream", onStream);
    h2c.on("session", (s) => h2Sessions.add(s));
    h2 = http2.createSecureServer({ key: readFileSync(KEY), cert: readFileSync(CA) });
    h2.on("stream", onStream);
    h2.on("session", (s) => h2Sessions.add(s));
    await new Promise<void>((r) => h1.listen(H1, "127.0.0.1", r));
    await new Promise<void>((r) => h2c.listen(H2C, "127.0.0.1", r));
    await new Promise<void>((r) => h2.listen(H2, "127.0.0.1", r));
  });
  after(async () => {
    for (const s of h2Sessions) s.destroy();
    h1.closeAllConnections?.();
    h1s.closeAllConnections?.();
    await Promise.all([h1, h1s, h2c, h2].map((s) => new Promise<void>((r) => s.close(() => r()))));
  });

  it("accepts a 200 over HTTP/1.1 whose body matches", async () => {
    const r = await once(`http://127.0.0.1:${H1}/healthz`, { bodyMatch: "UP\\b" });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.facts?.status, 200);
    assert.equal(r.facts?.protocol, "http/1.1");
  });
  it("takes host:port as http://host:port/", async () => {
    const r = await once(`127.0.0.1:${H1}`, {});
    assert.equal(r.ok, true);
  });
  it("rejects a body that does not match", async () => {
    const r = await once(`http://127.0.0.1:${H1}/`, { bodyMatch: "DOWN" });
    assert.equal(r.ok, false);
    assert.equal(r.failure?.kind, "rejected");
    assert.equal(r.failure?.reason, "BODY_MISMATCH");
  });
  it("rejects a status outside the set and keeps the ProblemDetails cause", async () => {
    const r = await once(`http://127.0.0.1:${H1}/problem`, {});
    assert.equal(r.failure?.kind, "rejected");
    assert.equal(r.failure?.reason, "NF_CONGESTION");
    assert.match(r.failure!.message, /status 503 .*expected 2xx/);
  });
  it("accepts 404 when the set says so", async () => {
    const r = await once(`http://127.0.0.1:${H1}/missing`, { expectStatus: [404] });
    assert.equal(r.ok, true);
  });
  it("sends the configured method and headers", async () => {
    const r = await once(`http://127.0.0.1:${H1}/`, { method: "HEAD", headers: { "x-probe": "1" } });
    assert.equal(r.ok, true);
    assert.equal(r.facts?.bodyBytes, 0);
  });
  it("speaks HTTP/1.1 over TLS with a CA bundle, and rejects an unverifiable certificate", async () => {
    const r = await once(`https://127.0.0.1:${H1S}/`, { tls: { ca: CA }, bodyMatch: "UP" });
    assert.equal(r.ok, true, JSON.stringify(r));
    const bad = await once(`https://127.0.0.1:${H1S}/`, {});
    assert.equal(bad.failure?.kind, "rejected");
    assert.match(bad.failure!.message, /Cannot verify the TLS certificate/);
  });
  it("speaks h2c with prior knowledge and keeps one session across runs", async () => {
    const p = make(`http://127.0.0.1:${H2C}/`, { protocol: "h2c", bodyMatch: "UP" });
    try {
      const a = await runProbe(p, 2000, systemClock);
      const b = await runProbe(p, 2000, systemClock);
      assert.equal(a.ok, true, JSON.stringify(a));
      assert.equal(a.facts?.protocol, "h2c");
      assert.equal(b.facts?.sessions, 1);
      assert.equal(b.facts?.connectMs, undefined);
    } finally {
      await p.close();
    }
  });
  it("speaks h2 over TLS with a CA bundle", async () => {
    const r = await once(`https://127.0.0.1:${H2}/`, { protocol: "h2", tls: { ca: CA } });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.facts?.protocol, "h2");
  });
  it("rejects a certificate it cannot verify", async () => {
    const r = await once(`https://127.0.0.1:${H2}/`, { protocol: "h2" });
    assert.equal(r.ok, false);
    assert.equal(r.failure?.kind, "rejected");
    assert.match(r.failure!.message, /Cannot verify the TLS certificate/);
  });
  it("skips verification when told to", async () => {
    const r = await once(`https://127.0.0.1:${H2}/`, { protocol: "h2", tls: { verify: false } });
    assert.equal(r.ok, true);
  });
  it("reports refused when nothing listens", async () => {
    const r = await once("http://127.0.0.1:22119/", {});
    assert.equal(r.failure?.kind, "refused");
    const r2 = await once("http://127.0.0.1:22119/", { protocol: "h2c" });
    assert.equal(r2.failure?.kind, "refused");
  });
  it("times out within its budget when the server never answers", async () => {
    const t0 = performance.now();
    const p = make(`http://127.0.0.1:${H1}/hang`, {});
    try {
      const r = await runProbe(p, 200, systemClock);
      assert.equal(r.failure?.kind, "timeout");
      assert.ok(performance.now() - t0 < 1500);
    } finally {
      await p.close();
    }
  });
  it("refuses a protocol that does not fit the scheme", () => {
    assert.throws(() => make(`https://127.0.0.1:${H2}/`, { protocol: "h2c" }), /h2c needs an http:\/\/ URL/);
    assert.throws(() => make(`http://127.0.0.1:${H2}/`, { protocol: "h2" }), /h2 needs an https:\/\/ URL/);
    assert.equal(http.options.safeParse({ bodyMatch: "(" }).success, false);
    assert.equal(http.options.safeParse({ bogus: 1 }).success, false);
  });
});
