/**
 * Alarms survive a collector restart: the same alarm (same id, same acknowledgement) is listed by a
 * new collector process state over the same files, and clears when the condition ends after it.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningCollector, startCollector } from "../../collector/collector.ts";
import { parseCollectorConfig } from "../../collector/config.ts";
import { encodeBatch } from "../../telemetry/codec.ts";
import type { TelemetryRecord } from "../../telemetry/record.ts";
import { eventually } from "../_util/process.ts";

const AGENT_TOKEN = "alarm-restart-agent-token-0123456789";
const OPS = "alarm-restart-operator-token-0123456789";

describe("alarms across a collector restart", { timeout: 60_000 }, () => {
  it("the list, ids and acknowledgements survive; the clear after the restart closes the same alarm", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ep-alarm-restart-"));
    const config = parseCollectorConfig({ listen: "127.0.0.1:0", auth: { sharedToken: AGENT_TOKEN, apiTokens: { ops: { role: "operator", token: OPS } } }, store: { path: join(dir, "collector.db") } }, {});
    let seq = 0;
    const send = async (c: RunningCollector, records: Record<string, unknown>[]) => {
      const at = Date.now();
      const body = encodeBatch({ agentId: "upf-r1", bootId: "b1", records: records.map((r) => ({ seq: ++seq, at, ...r }) as TelemetryRecord) });
      assert.equal((await fetch(`${c.url}/api/v1/ingest`, { method: "POST", body, headers: { authorization: `Bearer ${AGENT_TOKEN}`, "content-type": "application/vnd.edgeprobe.telemetry+cbor; v=1" } })).status, 200);
    };
    const api = (c: RunningCollector, path: string, init: RequestInit = {}) => fetch(`${c.url}${path}`, { ...init, headers: { authorization: `Bearer ${OPS}` } });
    let stop = new AbortController();
    let c = await startCollector(config, { signal: stop.signal, log: () => {} });
    try {
      await send(c, [
        { type: "agent-start", version: "1", labels: {}, probes: [{ name: "smf-n4", kind: "pfcp", target: "10.0.4.1:8805", critical: true, interface: "N4" }] },
        { type: "probe", probe: "smf-n4", kind: "pfcp", ok: false, latencyUs: 5, failure: { kind: "unreachable" } },
        { type: "state", probe: "smf-n4", from: "unknown", to: "unhealthy" },
      ]);
      const a = await eventually(async () => ((await (await api(c, "/api/v1/alarms?state=active")).json()) as { alarms: { alarmId: string }[] }).alarms[0], 5000);
      assert.equal((await api(c, `/api/v1/alarms/${a.alarmId}/ack`, { method: "POST" })).status, 200);
      stop.abort();
      await c.finished;

      stop = new AbortController();
      c = await startCollector(config, { signal: stop.signal, log: () => {} });
      const back = (await (await api(c, `/api/v1/alarms/${a.alarmId}`)).json()) as { ackState: string; ackUserId: string; probableCause: string };
      assert.equal(back.ackState, "ACKNOWLEDGED");
      assert.equal(back.ackUserId, "ops");
      assert.equal(back.probableCause, "REMOTE_NODE_TRANSMISSION_ERROR");
      await send(c, [{ type: "state", probe: "smf-n4", from: "unhealthy", to: "healthy" }]);
      await eventually(async () => (await api(c, `/api/v1/alarms/${a.alarmId}`)).status === 404, 5000);
      const hist = (await (await api(c, "/api/v1/alarms-history?node=upf-r1&from=-1h")).json()) as { alarms: { alarmId: string; perceivedSeverity: string }[] };
      assert.deepEqual(hist.alarms.map((x) => [x.alarmId, x.perceivedSeverity]), [[a.alarmId, "CLEARED"]], "cleared and acknowledged: in the history, out of the list");
    } finally {
      stop.abort();
      await c.finished;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
