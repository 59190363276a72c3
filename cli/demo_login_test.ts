import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { demoPorts } from "../demo/demo_plan.ts";
import { telemetryHooks } from "./telemetry_hooks.ts";

describe("edgeprobe demo's collector", () => {
  it("creates a viewer with a fresh password; its read side is closed without it (port 30420)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ep-demo-login-"));
    const c = await telemetryHooks.startDemoCollector(demoPorts(30420 - 9400), "demo-token-not-secret", dir);
    try {
      assert.equal(c.url, "http://127.0.0.1:30420");
      assert.equal(c.login?.user, "noc");
      assert.match(c.login?.password ?? "", /^[A-Za-z0-9_-]{16}$/);
      assert.equal((await fetch(`${c.url}/api/v1/fleet`)).status, 401);
      const login = await fetch(`${c.url}/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(c.login) });
      assert.deepEqual(await login.json(), { user: "noc", role: "viewer" });
      const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0];
      assert.equal((await fetch(`${c.url}/api/v1/fleet`, { headers: { cookie } })).status, 200);
    } finally {
      await c.close(AbortSignal.timeout(5000));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
