/**
 * Alarms end to end with real receivers: a real agent (bun cli/main.ts agent) probes a TCP target
 * that the test kills and revives; the collector (in this process) raises and clears alarms and
 * sends them to Debian's prometheus-alertmanager, to snmptrapd and to a JSON webhook that is down
 * at first. The collector and HTTP receivers take ports from the OS; Alertmanager, snmptrapd,
 * the agent and its target probe for free ones in 33000-33999.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCollector, type RunningCollector } from "../../collector/collector.ts";
import { parseCollectorConfig } from "../../collector/config.ts";
import { listenTcp, type TcpTarget } from "../dashboard/_fleet.ts";
import { type Child, eventually, startChild } from "../_util/process.ts";
import { type Alertmanager, freePort, type HttpSink, httpSink, startAlertmanager, startSnmptrapd, type TrapReceiver } from "./_peers.ts";

const root = new URL("../../", import.meta.url).pathname;
const AGENT_TOKEN = "alarm-test-agent-token-0123456789";
const OPS = "alarm-test-operator-token-0123456789";
const VIEW = "alarm-test-viewer-token-0123456789";
const E = "1.3.6.1.4.1.8072.9999.9999.7";
const AGENT = "upf-alarm-1";

interface AlarmJson {
  alarmId: string;
  kind: string;
  perceivedSeverity: string;
  ackState: string;
  maintenance: boolean;
  objectInstance: string;
}
interface AmWebhook {
  status: string;
  alerts: { status: string; labels: Record<string, string>; endsAt: string }[];
}

describe("alarms northbound to real receivers", { timeout: 120_000 }, () => {
  let dir: string;
  let collector: RunningCollector;
  let agent: Child;
  let target: TcpTarget;
  let am: Alertmanager;
  let amSink: HttpSink;
  let webhook: HttpSink;
  let trapd: TrapReceiver;
  let trapdPort: number;
  let targetPort: number;
  const stop = new AbortController();
  const api = (path: string, init: RequestInit = {}, token = VIEW) =>
    fetch(`${collector.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers } });
  const alarms = async (q = "") => ((await (await api(`/api/v1/alarms${q}`)).json()) as { alarms: AlarmJson[]; counts: Record<string, number> });
  const amAlerts = (status: "firing" | "resolved", name: string) =>
    amSink.bodies.flatMap((b) => (b as AmWebhook).alerts).filter((a) => a.status === status && a.labels.alertname === name && a.labels.node === AGENT);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "ep-alarms-nb-"));
    amSink = await httpSink();
    webhook = await httpSink();
    webhook.up = false;
    am = await startAlertmanager(await freePort(33090), `${amSink.url}/am`);
    trapdPort = await freePort(33160);
    trapd = await startSnmptrapd(trapdPort);
    targetPort = await freePort(33020);
    target = await listenTcp(targetPort);
    const config = parseCollectorConfig({
      listen: "127.0.0.1:0",
      auth: { sharedToken: AGENT_TOKEN, apiTokens: { ops: { role: "operator", token: OPS }, noc: { role: "viewer", token: VIEW } } },
      store: { path: join(dir, "collector.db") },
      alarms: {
        holdDown: "300ms",
        checkEvery: "200ms",
        outbox: { minBackoff: "200ms", maxBackoff: "1s" },
        alertmanager: { urls: [am.url], resendEvery: "2s" },
        webhooks: [{ name: "noc", url: `${webhook.url}/hook` }],
        snmp: [{ name: "trapd", host: "127.0.0.1", port: trapdPort }],
      },
    }, {});
    collector = await startCollector(config, { signal: stop.signal, log: () => {} });
    const f = join(dir, "agent.json");
    writeFileSync(f, JSON.stringify({
      agent: { id: AGENT, labels: { region: "north", role: "upf" } },
      server: { listen: `127.0.0.1:${await freePort(33410)}` },
      log: { level: "warn" },
      probes: [{ name: "smf-n4", kind: "tcp", target: `127.0.0.1:${targetPort}`, interface: "N4", interval: "300ms", timeout: "200ms", jitter: "0%", fall: 1, rise: 1 }],
      telemetry: {
        collector: collector.url,
        token: AGENT_TOKEN,
        spool: { dir: join(dir, "spool"), maxBytes: "1MiB" },
        batch: { maxRecords: 200, interval: "100ms" },
        backoff: { initial: "100ms", max: "1s" },
      },
    }));
    agent = startChild(join(root, "node_modules/.bin/bun"), ["cli/main.ts", "agent", "--config", f], { cwd: root });
    await eventually(async () => {
      const r = await api(`/api/v1/nodes/${AGENT}`);
      return r.ok && ((await r.json()) as { verdict?: string }).verdict === "UP";
    }, 20_000, 100);
  });

  after(async () => {
    await agent?.stop("SIGTERM", 3000);
    stop.abort();
    await collector?.finished;
    await Promise.all([am?.stop(), trapd?.stop(), amSink?.close(), webhook?.close(), target?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("a dead critical target: CRITICAL to Alertmanager and snmptrapd, queued for the webhook that is down; its return resolves them", async () => {
    await target.close();
    const raised = await eventually(async () => (await alarms("?state=active")).alarms.find((a) => a.kind === "node-verdict" && a.perceivedSeverity === "CRITICAL"), 10_000);
    const list = await alarms("?state=active");
    assert.equal(list.counts.CRITICAL, 1);
    assert.equal(list.counts.MAJOR, 1);
    assert.ok(list.alarms.some((a) => a.objectInstance === `node=${AGENT},interface=N4,probe=smf-n4`));

    // Alertmanager itself notifies its receiver: the alert it holds fires with our labels.
    const firing = await eventually(async () => amAlerts("firing", "edgeprobe_node_verdict")[0], 15_000);
    assert.equal(firing.labels.severity, "critical");
    assert.equal(firing.labels.alarmId, raised.alarmId);
    assert.equal(firing.labels.region, "north");
    const held = (await (await fetch(`${am.url}/api/v2/alerts?filter=alarmId%3D%22${raised.alarmId}%22`)).json()) as { endsAt: string; status: { state: string } }[];
    assert.equal(held.length, 1);
    assert.equal(held[0].status.state, "active");
    assert.ok(Date.parse(held[0].endsAt) > Date.now(), "endsAt lies ahead while the alarm is active");

    // snmptrapd logged the raise with the documented varbinds.
    const trap = await eventually(async () => trapd.traps().find((l) => l.includes(`.${E}.0.1\t`) && l.includes(`.${E}.1.1 = STRING: "${raised.alarmId}"`)), 10_000);
    assert.match(trap, new RegExp(`\\.${E.replaceAll(".", "\\.")}\\.1\\.4 = INTEGER: 3\\t`), "perceivedSeverity critical(3)");
    assert.ok(trap.includes(`.${E}.1.9 = STRING: "${AGENT}"`));
    assert.ok(trap.includes(`.${E}.1.6 = STRING: "UNDERLYING_RESOURCE_UNAVAILABLE"`));

    // The webhook was down the whole time: nothing reached it, nothing was lost.
    assert.equal(webhook.bodies.length, 0);
    webhook.up = true;
    const delivered = await eventually(async () => {
      const n = webhook.bodies.flatMap((b) => (b as { notifications: { notificationType: string; alarm: AlarmJson }[] }).notifications);
      return n.some((x) => x.alarm.alarmId === raised.alarmId && x.notificationType === "notifyNewAlarm") && n;
    }, 10_000);
    assert.ok(delivered.length >= 2, "both alarms (node and probe) were kept and delivered");

    // The target returns: resolved in Alertmanager, a clear trap, a clear on the webhook.
    target = await listenTcp(targetPort);
    await eventually(async () => amAlerts("resolved", "edgeprobe_node_verdict").length > 0, 15_000);
    const clearTrap = await eventually(async () => trapd.traps().find((l) => l.includes(`.${E}.0.3\t`) && l.includes(`"${raised.alarmId}"`)), 10_000);
    assert.ok(clearTrap.includes(`.${E}.1.4 = INTEGER: 1`), "perceivedSeverity cleared(1)");
    await eventually(async () => webhook.bodies.flatMap((b) => (b as { notifications: { notificationType: string; alarm: AlarmJson }[] }).notifications)
      .some((x) => x.alarm.alarmId === raised.alarmId && x.notificationType === "notifyClearedAlarm"), 10_000);
    assert.equal((await alarms("?state=active")).alarms.length, 0);
  });

  it("only an operator acknowledges; a viewer gets 403 problem+json", async () => {
    const a = (await alarms("?state=cleared")).alarms[0];
    assert.ok(a, "the cleared alarms stay listed until acknowledged");
    const denied = await api(`/api/v1/alarms/${a.alarmId}/ack`, { method: "POST" }, VIEW);
    assert.equal(denied.status, 403);
    assert.equal(denied.headers.get("content-type"), "application/problem+json");
    const ok = await api(`/api/v1/alarms/${a.alarmId}/ack`, { method: "POST" }, OPS);
    assert.equal(ok.status, 200);
    const body = (await ok.json()) as { ackState: string; ackUserId: string };
    assert.equal(body.ackState, "ACKNOWLEDGED");
    assert.equal(body.ackUserId, "ops");
  });

  it("a maintenance window: alarms recorded, nothing northbound, the window left out of availability", async () => {
    const now = Date.now();
    const res = await api("/api/v1/maintenance", { method: "POST", body: JSON.stringify({ name: "UPF upgrade", nodes: [AGENT], start: now, end: now + 3_600_000 }) }, OPS);
    assert.equal(res.status, 201);
    const win = (await res.json()) as { id: string };
    // The test before ends on the node alert's resolve; the probe alerts' resolves can follow it by
    // one group_interval (500 ms, _peers.ts) each: a CI run counted one of them here. Wait until
    // Alertmanager has sent nothing for three group intervals (bounded: 10 s) before counting.
    for (let quiet = 0, n = -1, waited = 0; quiet < 3 && waited < 10_000; waited += 500) {
      quiet = amSink.bodies.length === n ? quiet + 1 : 0;
      n = amSink.bodies.length;
      await new Promise((r) => setTimeout(r, 500));
    }
    const before = { am: amSink.bodies.length, traps: trapd.traps().length, hook: webhook.bodies.length };
    await target.close();
    const a = await eventually(async () => (await alarms("?state=active")).alarms.find((x) => x.kind === "node-verdict"), 10_000);
    assert.equal(a.maintenance, true);
    // Longer than hold-down, a check period and an Alertmanager re-send: still nothing went out.
    await new Promise((r) => setTimeout(r, 2500));
    assert.deepEqual({ am: amSink.bodies.length, traps: trapd.traps().length, hook: webhook.bodies.length }, before);
    target = await listenTcp(targetPort);
    await eventually(async () => (await alarms("?state=active")).alarms.length === 0, 10_000);
    await new Promise((r) => setTimeout(r, 800));
    assert.deepEqual({ am: amSink.bodies.length, traps: trapd.traps().length, hook: webhook.bodies.length }, before, "nor its clear");

    const av = (await (await api(`/api/v1/nodes/${AGENT}/availability?by=day&from=${now - 3_600_000}`)).json()) as { subjects: { subject: string; periods: { downMs: number; outages: { cause: string }[]; availability: number }[] }[] };
    const node = av.subjects.find((s) => s.subject === "node")!;
    const outages = node.periods.flatMap((p) => p.outages);
    assert.equal(outages.length, 1, "the first outage (before the window) counts, the one inside it does not");
    assert.match(outages[0].cause, /smf-n4/);
    const csv = await (await api(`/api/v1/nodes/${AGENT}/availability?by=day&from=${now - 3_600_000}&format=csv`)).text();
    assert.match(csv.split("\r\n")[0], /^node,subject,period,availability_pct/);
    assert.ok(csv.includes(`${AGENT},interface:N4,`));
    assert.equal((await api(`/api/v1/maintenance/${win.id}`, { method: "DELETE" }, OPS)).status, 204);
  });
});
