/**
 * The dashboard login in headless Chromium (Debian's /usr/bin/chromium through playwright-core):
 * a collector process with one viewer; the browser is sent to /login, a wrong password is
 * refused on the page, the right one sets an HttpOnly SameSite=Strict cookie that scripts cannot
 * read, and the viewer session then reads the fleet and keeps a live event stream; logging out
 * ends it. Port 30300. Run: bun test tests/dashboard/login_test.ts
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { type Child, startChild } from "../_util/process.ts";
import { launchChromium } from "./_browser.ts";
import { hashPassword } from "../../collector/auth/mod.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const BUN = join(ROOT, "node_modules/.bin/bun");
const PORT = 30300;
const URL_ = `http://127.0.0.1:${PORT}`;
const PASSWORD = "noc-password-for-chromium";

describe("dashboard login in headless Chromium", () => {
  let dir: string;
  let collector: Child;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "ep-login-"));
    const cfg = join(dir, "collector.json");
    writeFileSync(cfg, JSON.stringify({
      listen: `127.0.0.1:${PORT}`,
      auth: { sharedToken: "agent-token-0123456789abcdef", users: { noc: { role: "viewer", passwordHash: await hashPassword(PASSWORD) } } },
      store: { path: join(dir, "collector.db") },
    }));
    collector = startChild(BUN, ["cli/main.ts", "collector", "--config", cfg], { cwd: ROOT });
    await collector.waitFor(/collector listening on/, 15_000);
    chromium = await launchChromium();
    page = await chromium.context.newPage();
  });
  after(async () => {
    await chromium?.close();
    await collector?.stop("SIGTERM", 3000);
    rmSync(dir, { recursive: true, force: true });
  });

  it("sends a browser without a session to the login page", async () => {
    const res = await page.goto(`${URL_}/`);
    assert.equal(new URL(page.url()).pathname, "/login");
    assert.equal(res?.status(), 200);
    assert.equal(await page.title(), "Log in · edgeprobe NOC");
  });

  it("refuses a wrong password on the page, without a cookie", async () => {
    await page.fill('input[name="user"]', "noc");
    await page.fill('input[name="password"]', "wrong-password");
    await page.click('button[type="submit"]');
    await page.waitForSelector("p.error");
    assert.equal(await page.textContent("p.error"), "Cannot log in: unknown user or wrong password");
    assert.deepEqual(await chromium.context.cookies(URL_), []);
  });

  it("logs in: an HttpOnly SameSite=Strict cookie, the dashboard with a live event stream", async () => {
    await page.fill('input[name="user"]', "noc");
    await page.fill('input[name="password"]', PASSWORD);
    await Promise.all([page.waitForURL(`${URL_}/`), page.click('button[type="submit"]')]);
    const [cookie] = await chromium.context.cookies(URL_);
    assert.equal(cookie.name, "edgeprobe_session");
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, "Strict");
    assert.equal(await page.evaluate(() => document.cookie), "", "scripts cannot read the session");
    // The page's own requests carry the session: the fleet API and the event stream answer.
    const who = await page.evaluate(async () => (await fetch("/api/v1/whoami")).json());
    assert.deepEqual(who, { user: "noc", role: "viewer", via: "session" });
    await page.waitForSelector('#conn[data-state="live"]', { timeout: 15_000 });
  });

  it("logs out: the session ends and the page goes back to /login", async () => {
    const status = await page.evaluate(async () => (await fetch("/logout", { method: "POST", redirect: "manual" })).type);
    assert.equal(status, "opaqueredirect");
    assert.equal(await page.evaluate(async () => (await fetch("/api/v1/fleet")).status), 401);
    await page.goto(`${URL_}/`);
    assert.equal(new URL(page.url()).pathname, "/login");
  });
});
