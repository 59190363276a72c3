import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStore } from "../sqlite_store.ts";
import type { Store } from "../store.ts";
import type { TelemetryRecord } from "../../telemetry/record.ts";
import { alarmsConfigSchema } from "./config.ts";
import { type AlarmEngine, createAlarmEngine } from "./engine.ts";
import { openSqliteAlarmRepo, type SqliteAlarmRepo } from "./sqlite_repo.ts";
import { startOutbox } from "./outbox.ts";
import { alarmRoutes } from "./routes.ts";
import type { AlarmNotification } from "./types.ts";

/** Wait (bounded, 3 s) until the outbox delivered what a check expects. */
async function until(f: () => boolean): Promise<void> {
  for (let i = 0; i < 150 && !f(); i++) await new Promise((r) => setTimeout(r, 20));
}

const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);
const smf = { name: "smf-n4", kind: "pfcp", target: "10.0.4.1:8805", critical: true, interface: "N4" };
const dns = { name: "dns", kind: "dns", target: "10.0.0.53:53", critical: false };

/** One agent's telemetry stream, as the uplink would send it. */
function agent(store: Store, id: string) {
  let seq = 0;
  const send = (records: Record<string, unknown>[], at: number) =>
    store.ingest({ agentId: id, bootId: "b1", records: records.map((r) => ({ seq: ++seq, at, ...r }) as TelemetryRecord) }, at);
  return {
    start: (at: number) => send([{ type: "agent-start", version: "1.0.0", labels: { region: "north" }, probes: [smf, dns] }], at),
    fail: (at: number) =>
      send([
        { type: "probe", probe: "smf-n4", kind: "pfcp", ok: false, latencyUs: 2_000_000, failure: { kind: "timeout" } },
        { type: "state", probe: "smf-n4", from: "healthy", to: "unhealthy" },
        { type: "verdict", from: "UP", to: "DOWN", causes: ["smf-n4"] },
      ], at),
    recover: (at: number) =>
      send([
        { type: "probe", probe: "smf-n4", kind: "pfcp", ok: true, latencyUs: 1000 },
        { type: "state", probe: "smf-n4", from: "unhealthy", to: "healthy" },
        { type: "verdict", from: "DOWN", to: "UP", causes: [] },
      ], at),
  };
}

describe("alarm engine on a real SQLite store", () => {
  let dir: string;
  let store: Store;
  let repo: SqliteAlarmRepo;
  let engine: AlarmEngine;
  let now = T0;
  const sent: string[] = [];
  const ctl = new AbortController();
  const notes: AlarmNotification[] = [];
  const config = alarmsConfigSchema.parse({ holdDown: "2s", correlation: { minAgents: 3, window: "60s" } });
  const open = async () => {
    repo = await openSqliteAlarmRepo(join(dir, "alarms.db"));
    const outbox = startOutbox(repo.outbox, { name: "capture", batch: 100, send: (b) => void sent.push(...b) as unknown as Promise<void> }, { minBackoff: 10, maxBackoff: 10, maxMessages: 1000, log: () => {}, signal: ctl.signal });
    engine = await createAlarmEngine({ store, repo, config, staleAfterMs: 120_000, now: () => now, log: () => {}, northbound: [{ outbox, format: (n) => [`${n.notificationType} ${n.alarm.kind} ${n.alarm.node ?? n.alarm.objectInstance}`] }] });
    engine.subscribe((n) => notes.push(n));
  };
  before(async () => {
    dir = fs.mkdtempSync(join(tmpdir(), "ep-alarms-"));
    store = await openSqliteStore({ path: join(dir, "c.db") });
    await open();
  });
  after(async () => {
    ctl.abort();
    await engine.close();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("raises MAJOR and CRITICAL for a dead critical target, clears both when it returns, and survives a restart", async () => {
    const a = agent(store, "upf-1");
    await a.start(now);
    await a.fail(now += 1000);
    await engine.idle();
    let list = engine.list({ state: "active" });
    assert.deepEqual(list.alarms.map((x) => [x.kind, x.perceivedSeverity]), [["node-verdict", "CRITICAL"], ["probe-unhealthy", "MAJOR"]]);
    const probe = list.alarms[1];
    assert.equal(probe.objectInstance, "node=upf-1,interface=N4,probe=smf-n4");
    assert.equal(probe.probableCause, "RESPONSE_TIME_EXCESSIVE");
    assert.deepEqual(probe.labels, { region: "north" });
    assert.equal(list.counts.CRITICAL, 1);
    assert.equal(list.counts.MAJOR, 1);
    assert.ok(notes.some((n) => n.notificationType === "notifyNewAlarm"));

    // Restart: a new repo and engine over the same file see the same alarms.
    await engine.close();
    await open();
    list = engine.list({ state: "active" });
    assert.equal(list.alarms.length, 2);
    assert.equal(list.alarms[1].alarmId, probe.alarmId);

    await a.recover(now += 5000);
    await engine.idle();
    list = engine.list({});
    assert.deepEqual(list.alarms.map((x) => x.perceivedSeverity), ["CLEARED", "CLEARED"], "cleared, awaiting acknowledgement");
    assert.equal(list.alarms.find((x) => x.kind === "probe-unhealthy")!.alarmClearedTime, now);
    const acked = await engine.setAck(probe.alarmId, true, "ops");
    assert.equal(acked?.ackUserId, "ops");
    assert.equal(engine.list({}).alarms.length, 1, "cleared and acknowledged leaves the list");
    const hist = await engine.history({ node: "upf-1", from: T0, to: now + 1, limit: 100 });
    assert.equal(hist.length, 2, "history keeps both");
  });

  it("10 agents losing one peer: exactly one root alarm with 10 correlated, and only the root goes northbound", async () => {
    sent.length = 0;
    const agents = Array.from({ length: 10 }, (_, i) => agent(store, `upf-p${i}`));
    for (const a of agents) await a.start(now);
    for (const a of agents) await a.fail(now += 200);
    await engine.idle();
    now += 3000;
    await engine.check();
    await engine.idle();
    const roots = engine.list({ state: "active" }).alarms.filter((a) => a.rootCauseIndicator);
    assert.equal(roots.length, 1);
    assert.equal(roots[0].kind, "peer-fault");
    assert.equal(roots[0].correlatedNotifications.filter((c) => c.objectInstance.includes("probe=smf-n4")).length, 10);
    const top = engine.list({ state: "active", root: true }).alarms;
    assert.deepEqual(top.map((a) => a.alarmId), [roots[0].alarmId], "the NOC's default view: one alarm for the cause");
    await until(() => sent.length > 0);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(sent, [`notifyNewAlarm peer-fault peer=10.0.4.1:8805,interface=N4`]);

    for (const a of agents) await a.recover(now += 100);
    await engine.idle();
    assert.equal(engine.list({ state: "active" }).alarms.length, 0, "the root clears with its last member");
    await until(() => sent.length > 1);
    assert.equal(sent.at(-1), `notifyClearedAlarm peer-fault peer=10.0.4.1:8805,interface=N4`);
  });

  it("serves the list with filters and counts, and acknowledges through the REST routes", async () => {
    const a = agent(store, "upf-r");
    await a.start(now);
    await a.fail(now += 1000);
    await engine.idle();
    const app = alarmRoutes({ engine, now: () => now });
    let res = await app.request("/api/v1/alarms?severity=critical&state=active&node=upf-r");
    assert.equal(res.status, 200);
    const body = await res.json() as { total: number; counts: Record<string, number>; alarms: { alarmId: string; alarmRaisedTime: string; perceivedSeverity: string }[] };
    assert.equal(body.total, 1);
    assert.equal(body.alarms[0].perceivedSeverity, "CRITICAL");
    assert.equal(body.alarms[0].alarmRaisedTime, new Date(now).toISOString());
    assert.equal(body.counts.MAJOR, 1);
    res = await app.request(`/api/v1/alarms/${body.alarms[0].alarmId}/ack`, { method: "POST" });
    assert.equal(res.status, 200);
    assert.equal((await res.json() as { ackState: string }).ackState, "ACKNOWLEDGED");
    assert.equal((await app.request("/api/v1/alarms?severity=bogus")).status, 400);
    assert.equal((await app.request("/api/v1/alarms?label=region")).status, 400);
    assert.equal((await app.request("/api/v1/alarms?label=region=north&node=upf-r")).status, 200);
    assert.equal((await app.request("/api/v1/alarms/nope/ack", { method: "POST" })).status, 404);
    const forbidden = alarmRoutes({ engine, now: () => now, operatorGuard: () => Promise.resolve(new Response(null, { status: 403 })) });
    assert.equal((await forbidden.request(`/api/v1/alarms/${body.alarms[0].alarmId}/clear`, { method: "POST" })).status, 403);
    res = await app.request(`/api/v1/alarms/${body.alarms[0].alarmId}/clear`, { method: "POST" });
    assert.equal((await res.json() as { perceivedSeverity: string; clearUserId: string }).clearUserId, "anonymous");
  });
});
