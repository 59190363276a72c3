/**
 * The NOC dashboard in headless Chromium (Debian's, driven by playwright-core) against a real
 * collector and three real agents sending telemetry over loopback (tests/dashboard/_fleet.ts).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { launchChromium } from "./_browser.ts";
import { AGENTS, type Fleet, startFleet } from "./_fleet.ts";

const root = new URL("../../", import.meta.url).pathname;
const out = join(root, ".test-out");
const RED = "rgb(215, 38, 61)"; // --red in collector/dashboard/ui/styles.css
const GREEN = "rgb(31, 157, 76)"; // --green

for (const runtime of ["bun", "deno"] as const) {
  describe(`NOC dashboard in Chromium against a real collector on ${runtime} and real agents`, () => {
    let fleet: Fleet;
    let chromium: Awaited<ReturnType<typeof launchChromium>>;
    let page: Page;
    const requests: string[] = [];
    let loads = 0;

    const cell = (node: string, probe: string) => `#fleet-grid tr[data-node="${node}"] td[data-probe="${probe}"]`;
    const shot = (name: string) => join(out, `dashboard-${name}${runtime === "bun" ? "" : "-" + runtime}.png`);

    before(async () => {
      mkdirSync(out, { recursive: true });
      [fleet, chromium] = await Promise.all([startFleet(runtime), launchChromium()]);
      page = await chromium.context.newPage();
      page.on("request", (r) => requests.push(r.url()));
      page.on("load", () => loads++);
      page.on("pageerror", (e) => console.error("page error:", e.message));
    });

    after(async () => {
      await chromium?.close();
      await fleet?.stop();
    });

    it("shows every node in the grid, each probe green, the counts and a live connection", async () => {
      await page.goto(fleet.url + "/");
      await page.waitForFunction((n) => document.querySelectorAll("#fleet-grid tbody tr[data-node]").length === n, AGENTS.length, { timeout: 15_000 });
      // Every probe of every node turns healthy once its detail has arrived.
      await page.waitForFunction(() => {
        const cells = [...document.querySelectorAll("#fleet-grid td[data-state]")];
        return cells.length === 7 && cells.every((c) => c.getAttribute("data-state") === "healthy");
      }, undefined, { timeout: 15_000 });
      const ids = await page.$$eval("#fleet-grid tbody tr[data-node]", (rows) => rows.map((r) => r.getAttribute("data-node")));
      assert.deepEqual([...ids].sort(), AGENTS.map((a) => a.id).sort());
      const columns = await page.$$eval("#fleet-grid thead th.probe-col", (th) => th.map((t) => t.textContent));
      assert.deepEqual(columns, ["app-tcp", "gnb-n3", "smf-n4"]);
      assert.equal(await page.$eval(cell("upf-north-1", "gnb-n3"), (e) => e.className), "cell none", "no such probe on that node");
      assert.equal(await page.$eval(cell("upf-north-1", "app-tcp"), (e) => getComputedStyle(e).backgroundColor), GREEN);
      assert.equal(await page.textContent('[data-count="UP"] b'), "3");
      assert.equal(await page.textContent('[data-count="DOWN"] b'), "0");
      await page.waitForSelector('#conn[data-state="live"]', { timeout: 10_000 });
      // Filters are built from the labels present.
      const regions = await page.$$eval('select[data-label="region"] option', (o) => o.map((x) => (x as HTMLOptionElement).value));
      assert.deepEqual(regions, ["", "east", "north", "south"]);
      const labels = await page.$$eval("select[data-label]", (s) => s.map((x) => x.getAttribute("data-label")));
      assert.deepEqual(labels, ["region", "site", "role"]);
      // Nothing but this collector was asked for anything (a NOC may have no internet).
      const foreign = requests.filter((u) => !u.startsWith(fleet.url) && !u.startsWith("data:"));
      assert.deepEqual(foreign, []);
    });

    it("turns a cell red without a reload when its target dies, and sorts that node first", async () => {
      const loadsBefore = loads;
      await page.evaluate(() => ((globalThis as { __noReload?: boolean }).__noReload = true));
      const t0 = performance.now();
      await fleet.tcp[0].close();
      await page.waitForSelector(`${cell("upf-north-1", "app-tcp")}[data-state="unhealthy"]`, { timeout: 15_000 });
      const ms = Math.round(performance.now() - t0);
      console.log(`dashboard: app-tcp cell red ${ms} ms after its target closed`);
      assert.equal(await page.evaluate(() => (globalThis as { __noReload?: boolean }).__noReload), true, "the page was not reloaded");
      assert.equal(loads, loadsBefore, "no load event");
      assert.equal(await page.$eval(cell("upf-north-1", "app-tcp"), (e) => getComputedStyle(e).backgroundColor), RED);
      assert.equal(await page.$eval(cell("smf-south-1", "app-tcp"), (e) => e.getAttribute("data-state")), "healthy", "other nodes stay green");
      await page.waitForFunction(() => document.querySelector('[data-count="DOWN"] b')?.textContent === "1", undefined, { timeout: 10_000 });
      assert.equal(await page.textContent('[data-count="UP"] b'), "2");
      const first = await page.$eval("#fleet-grid tbody tr[data-node]", (r) => [r.getAttribute("data-node"), r.getAttribute("data-standing")]);
      assert.deepEqual(first, ["upf-north-1", "DOWN"], "worst first");
      // The cell names the failure once the node's detail is re-read after the change.
      await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === "refused", cell("upf-north-1", "app-tcp"), { timeout: 5_000 });
      await page.screenshot({ path: shot("fleet") });
      assert.ok(statSync(shot("fleet")).size > 10_000);
    });

    it("filters the grid by a label drop-down and keeps the filter in the URL", async () => {
      await page.selectOption('select[data-label="region"]', "south");
      await page.waitForFunction(() => document.querySelectorAll("#fleet-grid tbody tr[data-node]").length === 1);
      assert.equal(await page.$eval("#fleet-grid tbody tr[data-node]", (r) => r.getAttribute("data-node")), "smf-south-1");
      assert.equal(new URL(page.url()).hash, "#/?region=south");
      await page.selectOption('select[data-label="region"]', "");
      await page.waitForFunction((n) => document.querySelectorAll("#fleet-grid tbody tr[data-node]").length === n, AGENTS.length);
    });

    it("opens a node page with every probe, its last error and a latency plot with points", async () => {
      await page.click('#fleet-grid tr[data-node="upf-north-1"] th a');
      assert.equal(new URL(page.url()).hash, "#/nodes/upf-north-1");
      await page.waitForSelector('article.probe[data-probe="app-tcp"][data-state="unhealthy"]', { timeout: 10_000 });
      const probes = await page.$$eval("article.probe", (a) => a.map((x) => x.getAttribute("data-probe")));
      assert.deepEqual([...probes].sort(), ["app-tcp", "smf-n4"]);
      // The last error is the newest result's failure, from the node's detail.
      await page.waitForFunction(() => /^refused: /.test(document.querySelector('article.probe[data-probe="app-tcp"] .last-error dd')?.textContent ?? ""), undefined, { timeout: 10_000 });
      const lastError = await page.textContent('article.probe[data-probe="app-tcp"] .last-error dd');
      assert.match(lastError ?? "", /^refused: .*127\.0\.0\.1:25521/, `last error shown: ${lastError}`);
      // uPlot draws into a canvas; the container exposes the plotted series.
      await page.waitForFunction(() => [...document.querySelectorAll("article.probe .chart")].every((c) => Number(c.getAttribute("data-points")) >= 1), undefined, { timeout: 15_000 });
      for (const name of ["app-tcp", "smf-n4"]) {
        const chart = `article.probe[data-probe="${name}"] .chart`;
        const p50 = JSON.parse((await page.getAttribute(chart, "data-p50"))!) as (number | null)[];
        const points = p50.filter((v): v is number => v !== null);
        assert.ok(points.length >= 1 && points.every((v) => v > 0 && v < 300), `${name} p50 points: ${JSON.stringify(p50)}`);
        const canvas = await page.$eval(`${chart} canvas`, (c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height]);
        assert.ok(canvas[0] > 200 && canvas[1] > 100, `canvas ${canvas}`);
      }
      await page.screenshot({ path: shot("node"), fullPage: true });
      assert.ok(statSync(shot("node")).size > 10_000);
    });

    it("turns the cell green again when the target comes back, still without a reload", async () => {
      await page.goto(fleet.url + "/#/");
      const loadsBefore = loads;
      await page.waitForSelector(`${cell("upf-north-1", "app-tcp")}[data-state="unhealthy"]`, { timeout: 10_000 });
      const { listenTcp, PORTS } = await import("./_fleet.ts");
      fleet.tcp[0] = await listenTcp(PORTS.tcp[0]);
      await page.waitForSelector(`${cell("upf-north-1", "app-tcp")}[data-state="healthy"]`, { timeout: 15_000 });
      await page.waitForFunction(() => document.querySelector('[data-count="UP"] b')?.textContent === "3", undefined, { timeout: 10_000 });
      assert.equal(loads, loadsBefore);
    });

    it("shows the connection going away and coming back, and resyncs", async () => {
      await fleet.restartCollector(async () => {
        await page.waitForSelector('#conn:not([data-state="live"])', { timeout: 10_000 });
      });
      await page.waitForSelector('#conn[data-state="live"]', { timeout: 20_000 });
      await page.waitForFunction((n) => document.querySelectorAll("#fleet-grid tbody tr[data-node]").length === n, AGENTS.length, { timeout: 10_000 });
    });

    it("shows loss where a probe measures it", async () => {
      await page.goto(fleet.url + "/#/nodes/ims-east-1");
      await page.waitForSelector('article.probe[data-probe="gnb-n3"] .loss dd', { timeout: 10_000 });
      assert.equal(await page.textContent('article.probe[data-probe="gnb-n3"] .loss dt'), "loss");
      assert.equal(await page.textContent('article.probe[data-probe="gnb-n3"] .loss dd'), "0.0 %");
      assert.equal(await page.$('article.probe[data-probe="app-tcp"] .loss'), null, "TCP measures no loss");
    });

    it("fits a laptop screen without sideways scrolling", async () => {
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.goto(fleet.url + "/#/");
      await page.waitForFunction((n) => document.querySelectorAll("#fleet-grid tbody tr[data-node]").length === n, AGENTS.length, { timeout: 10_000 });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - globalThis.innerWidth);
      assert.ok(overflow <= 0, `page is ${overflow} px wider than the window`);
      await page.screenshot({ path: shot("laptop") });
      await page.setViewportSize({ width: 1920, height: 1080 });
    });

    it("hatches the cells of a stopped agent and counts it as NO DATA", async () => {
      const i = AGENTS.findIndex((a) => a.id === "ims-east-1");
      assert.equal(await fleet.agents[i].stop("SIGTERM", 5000), 0);
      await page.waitForSelector(`${cell("ims-east-1", "app-tcp")}[data-stale="true"]`, { timeout: 10_000 });
      assert.equal(await page.$eval('#fleet-grid tr[data-node="ims-east-1"]', (r) => r.getAttribute("data-standing")), "NO DATA");
      assert.equal(await page.textContent('[data-count="NO DATA"] b'), "1");
      assert.equal(await page.textContent('[data-count="UP"] b'), "2");
      const hatch = await page.$eval(cell("ims-east-1", "app-tcp"), (e) => getComputedStyle(e).backgroundImage);
      assert.match(hatch, /repeating-linear-gradient/);
      await page.screenshot({ path: shot("stopped") });
    });
  });
}
