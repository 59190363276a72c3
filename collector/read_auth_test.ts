import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCollectorHandler } from "./collector.ts";
import { parseCollectorConfig } from "./config.ts";
import { openSqliteStore } from "./sqlite_store.ts";
import type { Store } from "./store.ts";
import { hashPassword } from "./auth/mod.ts";
import { READ_ROUTE_SAMPLES as READ_ROUTES } from "./read_routes.ts";


describe("the collector's read side", () => {
  let store: Store;
  let handler: (r: Request, info?: { remoteAddress?: string }) => Promise<Response>;
  let close: () => void;
  let dir: string;
  before(async () => {
    dir = fs.mkdtempSync(join(tmpdir(), "ep-auth-"));
    store = await openSqliteStore({ path: join(dir, "c.db") });
    const hash = await hashPassword("noc-password-1", { ln: 10, r: 8, p: 1 });
    const config = parseCollectorConfig({ auth: { sharedToken: "agent-token-0123456789", users: { alice: { role: "viewer", passwordHash: hash } } }, store: { path: join(dir, "c.db") } }, {});
    ({ handler, close } = createCollectorHandler(config, store, { now: Date.now, log: () => {} }));
  });
  after(async () => {
    close();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("answers 401 problem+json to every read route without credentials; /healthz and /login stay open", async () => {
    for (const path of READ_ROUTES) {
      const res = await handler(new Request(`http://c${path}`), { remoteAddress: "192.0.2.1" });
      assert.equal(res.status, 401, path);
      assert.equal(res.headers.get("content-type"), "application/problem+json", path);
      const p = await res.json() as { type: string; status: number };
      assert.equal(p.type, "https://edgeprobe.dev/problems/unauthorized", path);
    }
    assert.equal((await handler(new Request("http://c/healthz"))).status, 200);
    const login = await handler(new Request("http://c/login"));
    assert.equal(login.status, 200);
    assert.match(login.headers.get("content-security-policy") ?? "", /form-action 'self'/);
  });

  it("sends a browser asking for the dashboard to /login", async () => {
    const res = await handler(new Request("http://c/", { headers: { accept: "text/html,application/xhtml+xml" } }));
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), "/login");
  });

  it("logs a user in with an HttpOnly SameSite=Strict cookie that opens the read side, and logs out", async () => {
    const bad = await handler(new Request("http://c/login", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://c" }, body: "user=alice&password=wrong" }), { remoteAddress: "192.0.2.2" });
    assert.equal(bad.status, 401);
    assert.match(await bad.text(), /Cannot log in: unknown user or wrong password/);
    const cross = await handler(new Request("http://c/login", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://evil.example" }, body: "user=alice&password=noc-password-1" }));
    assert.equal(cross.status, 403);

    const ok = await handler(new Request("http://c/login", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://c" }, body: "user=alice&password=noc-password-1" }), { remoteAddress: "192.0.2.2" });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get("location"), "/");
    const setCookie = ok.headers.get("set-cookie") ?? "";
    assert.match(setCookie, /^edgeprobe_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=604800$/);
    const cookie = setCookie.split(";")[0];
    const who = await handler(new Request("http://c/api/v1/whoami", { headers: { cookie } }));
    assert.deepEqual(await who.json(), { user: "alice", role: "viewer", via: "session" });
    assert.equal((await handler(new Request("http://c/api/v1/fleet", { headers: { cookie } }))).status, 200);
    const grid = await handler(new Request("http://c/api/v1/fleet/grid", { headers: { cookie } }));
    assert.equal(grid.status, 200, "a viewer reads the fleet grid");
    assert.equal((await grid.json() as { format: string }).format, "edgeprobe.fleet-grid/1");

    const out = await handler(new Request("http://c/logout", { method: "POST", headers: { cookie, origin: "http://c" } }));
    assert.equal(out.status, 303);
    assert.match(out.headers.get("set-cookie") ?? "", /Max-Age=0/);
    assert.equal((await handler(new Request("http://c/api/v1/fleet", { headers: { cookie } }))).status, 401);
  });

  it("answers a JSON login with JSON, and refuses a body over 4 KiB unread", async () => {
    const ok = await handler(new Request("http://c/login", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user: "alice", password: "noc-password-1" }) }));
    assert.deepEqual(await ok.json(), { user: "alice", role: "viewer" });
    const unknown = await handler(new Request("http://c/login", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user: "mallory", password: "x" }) }));
    assert.equal(unknown.status, 401);
    assert.equal(unknown.headers.get("content-type"), "application/problem+json");
    const big = await handler(new Request("http://c/login", { method: "POST", headers: { "content-type": "application/json" }, body: "x".repeat(5000) }));
    assert.equal(big.status, 413);
  });
});
