/**
 * Root cause through the collector's real ingest endpoint: 10 agents whose N4 peer (one SMF) dies
 * make exactly one peer-fault alarm with their 10 probe alarms correlated under it, and only that
 * alarm goes northbound (a webhook on loopback counts). Also the API's bounds, tested with the
 * oversized requests themselves. Ports chosen by the OS.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningCollector, startCollector } from "../../collector/collector.ts";
import { parseCollectorConfig } from "../../collector/config.ts";
import { encodeBatch } from "../../telemetry/codec.ts";
import type { TelemetryRecord } from "../../telemetry/record.ts";
import { eventually } from "../_util/process.ts";
import { type HttpSink, httpSink } from "./_peers.ts";

const AGENT_TOKEN = "alarm-corr-agent-token-0123456789";
const OPS = "alarm-corr-operator-token-0123456789";

interface Notification {
  notificationType: string;
  alarm: { alarmId: string; kind: string; objectInstance: string; rootCauseIndicator: boolean; correlatedNotifications: { objectInstance: string }[] };
}

describe("root cause through the collector", { timeout: 60_000 }, () => {
  let dir: string;
  let collector: RunningCollector;
  let hook: HttpSink;
  const stop = new AbortController();
  const seqs = new Map<string, number>();
  const send = async (agentId: string, records: Record<string, unknown>[]) => {
    const at = Date.now();
    let seq = seqs.get(agentId) ?? 0;
    const body = encodeBatch({ agentId, bootId: "b1", records: records.map((r) => ({ seq: ++seq, at, ...r }) as TelemetryRecord) });
    seqs.set(agentId, seq);
    const res = await fetch(`${collector.url}/api/v1/ingest`, { method: "POST", body, headers: { authorization: `Bearer ${AGENT_TOKEN}`, "content-type": "application/vnd.edgeprobe.telemetry+cbor; v=1" } });
    assert.equal(res.status, 200);
  };
  const api = (path: string, init: RequestInit = {}) => fetch(`${collector.url}${path}`, { ...init, headers: { authorization: `Bearer ${OPS}`, "content-type": "application/json" } });
  const notes = () => hook.bodies.flatMap((b) => (b as { notifications: Notification[] }).notifications);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "ep-alarm-corr-"));
    hook = await httpSink();
    collector = await startCollector(parseCollectorConfig({
      listen: "127.0.0.1:0",
      auth: { sharedToken: AGENT_TOKEN, apiTokens: { ops: { role: "operator", token: OPS } } },
      store: { path: join(dir, "collector.db") },
      alarms: { holdDown: "1s", checkEvery: "200ms", correlation: { minAgents: 3, window: "60s" }, webhooks: [{ name: "noc", url: `${hook.url}/hook` }] },
    }, {}), { signal: stop.signal, log: () => {} });
  });
  after(async () => {
    stop.abort();
    await collector?.finished;
    await hook?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("10 agents losing one SMF: one root alarm, 10 correlated, one northbound raise and one clear; SSE carries the notifications", async () => {
    // The live stream (as a dashboard holds it) sees the alarm notifications too.
    const ctl = new AbortController();
    const sse = await fetch(`${collector.url}/api/v1/events`, { headers: { authorization: `Bearer ${OPS}` }, signal: ctl.signal });
    assert.equal(sse.headers.get("content-type"), "text/event-stream");
    let streamed = "";
    const reading = (async () => {
      const dec = new TextDecoder();
      try {
        for await (const chunk of sse.body!) streamed += dec.decode(chunk, { stream: true });
      } catch {
        // aborted at the end of the test
      }
    })();
    const agents = Array.from({ length: 10 }, (_, i) => `upf-${String(i).padStart(2, "0")}`);
    for (const [i, id] of agents.entries()) {
      await send(id, [{ type: "agent-start", version: "1", labels: { region: "north" }, probes: [
        { name: "smf-n4", kind: "pfcp", target: "10.0.4.1:8805", critical: true, interface: "N4" },
        { name: "gnb-n3", kind: "gtpu", target: `10.3.0.${i}:2152`, critical: false, interface: "N3" },
      ] }]);
    }
    for (const id of agents) {
      await send(id, [
        { type: "probe", probe: "smf-n4", kind: "pfcp", ok: false, latencyUs: 2_000_000, failure: { kind: "timeout" } },
        { type: "state", probe: "smf-n4", from: "healthy", to: "unhealthy" },
        { type: "verdict", from: "UP", to: "DOWN", causes: ["smf-n4"] },
      ]);
    }
    const roots = await eventually(async () => {
      const b = (await (await api("/api/v1/alarms?state=active&root=true")).json()) as { alarms: Notification["alarm"][] };
      return b.alarms.length === 1 && b.alarms[0].correlatedNotifications.filter((c) => c.objectInstance.endsWith("probe=smf-n4")).length === 10 && b.alarms;
    }, 10_000);
    assert.equal(roots[0].kind, "peer-fault");
    assert.equal(roots[0].rootCauseIndicator, true);
    assert.equal(roots[0].objectInstance, "peer=10.0.4.1:8805,interface=N4");
    const all = (await (await api("/api/v1/alarms?state=active")).json()) as { total: number };
    assert.equal(all.total, 21, "10 probe alarms and 10 node alarms stay recorded under the root");

    await eventually(async () => notes().length > 0, 10_000);
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(notes().map((n) => `${n.notificationType} ${n.alarm.kind}`), ["notifyNewAlarm peer-fault"], "one alarm northbound for the cause");

    for (const id of agents) {
      await send(id, [
        { type: "probe", probe: "smf-n4", kind: "pfcp", ok: true, latencyUs: 900 },
        { type: "state", probe: "smf-n4", from: "unhealthy", to: "healthy" },
        { type: "verdict", from: "DOWN", to: "UP", causes: [] },
      ]);
    }
    await eventually(async () => notes().some((n) => n.notificationType === "notifyClearedAlarm"), 10_000);
    assert.deepEqual(notes().filter((n) => n.notificationType === "notifyClearedAlarm").map((n) => n.alarm.kind), ["peer-fault"]);
    assert.equal(((await (await api("/api/v1/alarms?state=active")).json()) as { total: number }).total, 0);
    assert.equal((await api(`/api/v1/alarms/${roots[0].alarmId}/ack`, { method: "POST" })).status, 200);
    await eventually(async () => /event: alarm\ndata: \{"type":"alarm","notificationId":\d+,"notificationType":"notifyAckStateChanged"/.test(streamed), 5000);
    const types = [...streamed.matchAll(/"notificationType":"(\w+)"/g)].map((m) => m[1]);
    for (const t of ["notifyNewAlarm", "notifyClearedAlarm", "notifyAckStateChanged"]) assert.ok(types.includes(t), t);
    ctl.abort();
    await reading;
  });

  it("refuses oversized requests with 400 problem+json", async () => {
    for (const [path, init] of [
      ["/api/v1/alarms?limit=100000000", {}],
      ["/api/v1/alarms?severity=CRITICAL,HUGE", {}],
      ["/api/v1/nodes/upf-00/availability?from=0", {}],
      ["/api/v1/maintenance", { method: "POST", body: JSON.stringify({ name: "x", nodes: Array.from({ length: 10_001 }, (_, i) => `n${i}`), start: 0, end: 1 }) }],
      ["/api/v1/maintenance", { method: "POST", body: "{not json" }],
    ] as const) {
      const res = await api(path, init as RequestInit);
      assert.equal(res.status, 400, path);
      assert.equal(res.headers.get("content-type"), "application/problem+json");
      assert.match(((await res.json()) as { detail: string }).detail, /^Cannot /);
    }
  });
});
