import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { authConfigSchema } from "./auth_config.ts";
import { type AuthEnv, authGate, requireRole } from "./auth_gate.ts";
import { createAuthenticator } from "./authenticator.ts";

const VIEWER = "viewer-token-0123456789";
const OPERATOR = "operator-token-0123456789";

function app(extra: Record<string, unknown> = {}) {
  const cfg = authConfigSchema.parse({
    sharedToken: "agent-token-0123456789",
    apiTokens: { grafana: { token: VIEWER }, ops: { role: "operator", token: OPERATOR } },
    trustedProxy: { addresses: ["127.0.0.1", "10.20.0.0/16"], userHeader: "X-Remote-User" },
    ...extra,
  });
  const authn = createAuthenticator(cfg, { now: () => 0 });
  const a = new Hono<AuthEnv>();
  a.use("*", authGate(authn, { openPaths: new Set(["/healthz"]) }));
  a.get("/healthz", (c) => c.text("UP"));
  a.get("/read", (c) => c.json(c.get("principal")));
  a.post("/act", requireRole("operator"), (c) => c.json(c.get("principal")));
  const call = (path: string, init: RequestInit = {}, remoteAddress?: string) => a.fetch(new Request(`http://c${path}`, init), { remoteAddress });
  return { call, authn };
}

describe("authGate() and requireRole()", () => {
  it("401 problem+json with WWW-Authenticate without credentials; /healthz open", async () => {
    const { call } = app();
    const r = await call("/read");
    assert.equal(r.status, 401);
    assert.equal(r.headers.get("content-type"), "application/problem+json");
    assert.equal(r.headers.get("www-authenticate"), 'Bearer realm="edgeprobe"');
    assert.equal((await call("/healthz")).status, 200);
  });
  it("API tokens carry their role; agent tokens and wrong tokens read nothing", async () => {
    const { call } = app();
    const bearer = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });
    assert.deepEqual(await (await call("/read", bearer(VIEWER))).json(), { name: "grafana", role: "viewer", via: "token" });
    assert.equal((await call("/act", { method: "POST", ...bearer(VIEWER) })).status, 403);
    assert.equal((await call("/act", { method: "POST", ...bearer(OPERATOR) })).status, 200);
    assert.equal((await call("/read", bearer("agent-token-0123456789"))).status, 401);
    assert.equal((await call("/read", bearer(VIEWER + "x"))).status, 401);
  });
  it("believes the proxy's user header only from configured addresses", async () => {
    const { call } = app({ users: { alice: { role: "operator", passwordHash: "$scrypt$ln=10,r=8,p=2$ZWRnZXByb2JlLXNhbHQxNg$k0587pES97gNBcYS1aJMn+yNNh5n36jHZIQj+vGpOkA" } } });
    const h = (u: string) => ({ headers: { "x-remote-user": u } });
    assert.deepEqual(await (await call("/read", h("bob"), "127.0.0.1")).json(), { name: "bob", role: "viewer", via: "proxy" });
    assert.deepEqual(await (await call("/read", h("alice"), "::ffff:10.20.3.4")).json(), { name: "alice", role: "operator", via: "proxy" });
    assert.equal((await call("/read", h("alice"), "10.21.0.1")).status, 401);
    assert.equal((await call("/read", h("alice"))).status, 401, "no peer address: not trusted");
  });
  it("publicRead admits anonymous viewers, but actions still ask for credentials (401)", async () => {
    const { call } = app({ publicRead: true });
    assert.deepEqual(await (await call("/read")).json(), { name: "anonymous", role: "viewer", via: "public" });
    assert.equal((await call("/act", { method: "POST" })).status, 401);
    assert.equal((await call("/read", { headers: { authorization: "Bearer wrong-token-0123456789" } })).status, 401, "a bad token is not downgraded to anonymous");
  });
  it("a session cookie on a cross-origin state change is refused", async () => {
    const { call, authn } = app();
    const sid = authn.sessions.create("alice", "operator");
    const cookie = `edgeprobe_session=${sid}`;
    assert.equal((await call("/act", { method: "POST", headers: { cookie, origin: "http://c" } })).status, 200);
    assert.equal((await call("/act", { method: "POST", headers: { cookie, origin: "http://evil.example" } })).status, 403);
    assert.equal((await call("/act", { method: "POST", headers: { cookie, "sec-fetch-site": "cross-site" } })).status, 403);
  });
  it("reload() ends the sessions of a removed user and takes new tokens", async () => {
    const { call, authn } = app();
    const sid = authn.sessions.create("alice", "viewer");
    authn.reload(authConfigSchema.parse({ sharedToken: "agent-token-0123456789", apiTokens: { new: { token: "new-token-0123456789ab" } } }));
    assert.equal((await call("/read", { headers: { cookie: `edgeprobe_session=${sid}` } })).status, 401);
    assert.equal((await call("/read", { headers: { authorization: `Bearer ${VIEWER}` } })).status, 401);
    assert.equal((await call("/read", { headers: { authorization: "Bearer new-token-0123456789ab" } })).status, 200);
  });
});
