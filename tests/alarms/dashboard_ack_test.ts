/**
 * The alarm page in headless Chromium (Debian's /usr/bin/chromium through playwright-core): an
 * operator acknowledges an alarm and every viewer's open page shows it, live; a viewer's attempt
 * is refused; the header counts alarms by severity; the node page shows the timeline and
 * availability. The collector runs in this process; telemetry arrives over its real ingest
 * endpoint as CBOR batches. Ports chosen by the OS.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { type RunningCollector, startCollector } from "../../collector/collector.ts";
import { parseCollectorConfig } from "../../collector/config.ts";
import { encodeBatch } from "../../telemetry/codec.ts";
import type { TelemetryRecord } from "../../telemetry/record.ts";
import { launchChromium } from "../dashboard/_browser.ts";
import { eventually } from "../_util/process.ts";

const AGENT_TOKEN = "alarm-ui-agent-token-0123456789";
const OPS = "alarm-ui-operator-token-0123456789";
const VIEW = "alarm-ui-viewer-token-0123456789";
const NODE = "upf-ui-1";

describe("alarm page in Chromium", { timeout: 120_000 }, () => {
  let dir: string;
  let collector: RunningCollector;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  const stop = new AbortController();
  let seq = 0;
  const send = async (records: Record<string, unknown>[]) => {
    const at = Date.now();
    const body = encodeBatch({ agentId: NODE, bootId: "b1", records: records.map((r) => ({ seq: ++seq, at, ...r }) as TelemetryRecord) });
    const res = await fetch(`${collector.url}/api/v1/ingest`, { method: "POST", body, headers: { authorization: `Bearer ${AGENT_TOKEN}`, "content-type": "application/vnd.edgeprobe.telemetry+cbor; v=1" } });
    assert.equal(res.status, 200);
  };
  const open = async (token: string, hash: string): Promise<Page> => {
    const page = await browser.context.newPage();
    await page.setExtraHTTPHeaders({ authorization: `Bearer ${token}` });
    await page.goto(`${collector.url}/${hash}`);
    return page;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "ep-alarm-ui-"));
    const config = parseCollectorConfig({
      listen: "127.0.0.1:0",
      auth: { sharedToken: AGENT_TOKEN, apiTokens: { ops: { role: "operator", token: OPS }, wall: { role: "viewer", token: VIEW } } },
      store: { path: join(dir, "collector.db") },
      alarms: { holdDown: "0s", checkEvery: "200ms" },
    }, {});
    collector = await startCollector(config, { signal: stop.signal, log: () => {} });
    browser = await launchChromium();
    await send([
      { type: "agent-start", version: "1.0.0", labels: { region: "north" }, probes: [{ name: "smf-n4", kind: "pfcp", target: "10.0.4.1:8805", critical: true, interface: "N4" }] },
      { type: "probe", probe: "smf-n4", kind: "pfcp", ok: false, latencyUs: 2_000_000, failure: { kind: "timeout" } },
      { type: "state", probe: "smf-n4", from: "unknown", to: "unhealthy" },
      { type: "verdict", from: "UP", to: "DOWN", causes: ["smf-n4"] },
    ]);
  });

  after(async () => {
    await browser?.close();
    stop.abort();
    await collector?.finished;
    rmSync(dir, { recursive: true, force: true });
  });

  it("an operator acknowledges and every viewer's page shows it; a viewer cannot", async () => {
    const list = await eventually(async () => {
      const r = await fetch(`${collector.url}/api/v1/alarms?state=active`, { headers: { authorization: `Bearer ${VIEW}` } });
      const b = (await r.json()) as { alarms: { alarmId: string; kind: string }[] };
      return b.alarms.length === 2 && b.alarms;
    }, 10_000);
    const node = list.find((a) => a.kind === "node-verdict")!;
    const probe = list.find((a) => a.kind === "probe-unhealthy")!;

    const operator = await open(OPS, "#/alarms");
    const viewers = [await open(VIEW, "#/alarms"), await open(VIEW, "#/alarms")];
    for (const p of [operator, ...viewers]) {
      await p.locator(`tr[data-alarm="${node.alarmId}"][data-ack="UNACKNOWLEDGED"]`).waitFor({ timeout: 15_000 });
      assert.equal(await p.locator('#alarm-counts [data-severity="CRITICAL"] b').textContent(), "1");
      assert.equal(await p.locator('#alarm-counts [data-severity="MAJOR"] b').textContent(), "1");
    }
    // Most severe first.
    assert.equal(await operator.locator("#alarm-table tbody tr").first().getAttribute("data-alarm"), node.alarmId);

    const answers: string[] = [];
    operator.on("response", (r) => void (r.url().includes("/ack") && answers.push(`${r.status()} ${r.url()}`)));
    operator.on("console", (m) => void answers.push(`console ${m.type()}: ${m.text()}`));
    await operator.locator(`tr[data-alarm="${node.alarmId}"] button[data-action="ack"]`).click();
    for (const p of [operator, ...viewers]) {
      await p.locator(`tr[data-alarm="${node.alarmId}"][data-ack="ACKNOWLEDGED"]`).waitFor({ timeout: 10_000 }).catch(async (e) => {
        const banner = await p.locator("#alarm-error").textContent({ timeout: 100 }).catch(() => "(no banner)");
        const row = await p.locator(`tr[data-alarm="${node.alarmId}"]`).evaluate((el) => el.outerHTML).catch(() => "(no row)");
        throw new Error(`Cannot see the acknowledgement: banner ${banner}; answers ${JSON.stringify(answers)}; row ${row}`, { cause: e });
      });
      assert.match((await p.locator(`tr[data-alarm="${node.alarmId}"] td.ack-state`).textContent()) ?? "", /ops/);
    }

    await viewers[0].locator(`tr[data-alarm="${probe.alarmId}"] button[data-action="ack"]`).click();
    await viewers[0].locator("#alarm-error").waitFor({ timeout: 10_000 });
    assert.match((await viewers[0].locator("#alarm-error").textContent()) ?? "", /Cannot acknowledge the alarm: .*needs operator/);
    assert.equal(await viewers[1].locator(`tr[data-alarm="${probe.alarmId}"]`).getAttribute("data-ack"), "UNACKNOWLEDGED");

    // Filter by severity: only the MAJOR probe alarm remains.
    await viewers[1].locator('input[data-severity-filter="MAJOR"]').check();
    await eventually(async () => (await viewers[1].locator("#alarm-table tbody tr").count()) === 1, 5_000);
    assert.equal(await viewers[1].locator("#alarm-table tbody tr").first().getAttribute("data-alarm"), probe.alarmId);
    for (const p of [operator, ...viewers]) await p.close();
  });

  it("the node page shows the timeline (verdict change, alarms) and availability", async () => {
    const page = await open(VIEW, `#/nodes/${NODE}`);
    await page.locator('#timeline li[data-kind="alarm"]').first().waitFor({ timeout: 15_000 });
    assert.ok(await page.locator('#timeline li[data-kind="verdict"]').count() >= 1);
    await page.locator('.availability tr[data-subject="interface:N4"]').waitFor({ timeout: 10_000 });
    await page.close();
  });
});
