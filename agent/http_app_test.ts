import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { AGENT_PATHS, type AgentView, createAgentApp } from "./http_app.ts";
import { encodeHealthSnapshot } from "./healthz.ts";
import { aggregate } from "./health.ts";

function view(over: Partial<AgentView> = {}): AgentView {
  const down = aggregate([{ name: "n4", critical: true, state: "unhealthy" }]);
  return {
    snapshot: () => encodeHealthSnapshot({ verdict: down, draining: false, degradedStatus: 200, agentId: "a1" }),
    loopLag: () => ({ ms: 3.14, maxMs: 1000 }),
    status: () => ({ agent: { id: "a1" } }),
    metrics: () => "edgeprobe_draining 0\n",
    ...over,
  };
}

describe("createAgentApp()", () => {
  it("answers /status as JSON without a socket", async () => {
    const res = await createAgentApp(view()).request("/status");
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { agent: { id: "a1" } });
  });

  it("answers /healthz and /readyz from the snapshot", async () => {
    const app = createAgentApp(view());
    const h = await app.request("/healthz");
    assert.equal(h.status, 503);
    assert.equal(h.headers.get("content-type"), "application/problem+json");
    assert.equal(h.headers.get("cache-control"), "no-store");
    assert.deepEqual((await h.json()).failingProbes, ["n4"]);
    assert.equal((await app.request("/readyz")).status, 200);
  });

  it("answers /livez 503 EVENT_LOOP_LAG past the bound", async () => {
    assert.deepEqual(await (await createAgentApp(view()).request("/livez")).json(), { live: true, eventLoopLagMs: 3.1 });
    const res = await createAgentApp(view({ loopLag: () => ({ ms: 1500, maxMs: 1000 }) })).request("/livez");
    assert.equal(res.status, 503);
    assert.equal((await res.json()).cause, "EVENT_LOOP_LAG");
  });

  it("serves Prometheus text on /metrics", async () => {
    const res = await createAgentApp(view()).request("/metrics");
    assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    assert.equal(await res.text(), "edgeprobe_draining 0\n");
  });

  it("answers 405 with Allow to every other method on its paths", async () => {
    const app = createAgentApp(view());
    for (const path of AGENT_PATHS) {
      const res = await app.request(path, { method: "POST", body: "x" });
      assert.equal(res.status, 405, path);
      assert.equal(res.headers.get("allow"), "GET, HEAD");
      assert.equal((await res.json()).cause, "METHOD_NOT_ALLOWED");
    }
  });

  it("answers 404 problem+json elsewhere, and 500 when a view throws", async () => {
    const nf = await createAgentApp(view()).request("/nope?x=1");
    assert.equal(nf.status, 404);
    assert.deepEqual(await nf.json(), { title: "Not Found", status: 404, detail: "no resource at /nope", cause: "RESOURCE_URI_STRUCTURE_NOT_FOUND" });
    const logged: string[] = [];
    const broken = createAgentApp(view({ status: () => { throw new Error("boom"); }, log: (_l, msg) => logged.push(msg) }));
    const res = await broken.request("/status");
    assert.equal(res.status, 500);
    assert.equal((await res.json()).cause, "SYSTEM_FAILURE");
    assert.deepEqual(logged, ["Cannot answer request"]);
  });
});
