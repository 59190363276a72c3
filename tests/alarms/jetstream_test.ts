/**
 * Alarms shared between collectors through NATS JetStream key-value (Debian's nats-server): two
 * alarm engines, each owning half of the agents, see the same list; an acknowledgement on one shows
 * on the other; a restarted engine loads the list from the bucket. nats-server on a free port in 33420-33519.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStore } from "../../collector/sqlite_store.ts";
import type { Store } from "../../collector/store.ts";
import { alarmsConfigSchema } from "../../collector/alarms/config.ts";
import { type AlarmEngine, createAlarmEngine } from "../../collector/alarms/engine.ts";
import { openJetstreamAlarmRepo } from "../../collector/alarms/jetstream_repo.ts";
import { newWindow, maintenanceInputSchema } from "../../collector/alarms/maintenance.ts";
import type { TelemetryRecord } from "../../telemetry/record.ts";
import { type NatsNode, startNats } from "../nats/_nats.ts";
import { eventually } from "../_util/process.ts";
import { freePort } from "./_peers.ts";

const config = alarmsConfigSchema.parse({ holdDown: "0s" });

describe("alarms shared through JetStream", { timeout: 60_000 }, () => {
  let dir: string;
  let nats: NatsNode;
  const stores: Store[] = [];
  const engines: AlarmEngine[] = [];
  const open = async (name: string, owns: (n: string) => boolean, store: Store) => {
    const { repo } = await openJetstreamAlarmRepo({ servers: [nats.url], bucket: "edgeprobe_alarms", replicas: 1, timeout: 5000, localPath: join(dir, `${name}-${engines.length}.db`), writer: name }, { log: () => {} });
    const e = await createAlarmEngine({ store, repo, config, staleAfterMs: 120_000, now: Date.now, log: () => {}, owns });
    engines.push(e);
    return e;
  };
  const fail = (store: Store, agentId: string) => {
    const at = Date.now();
    return store.ingest({ agentId, bootId: "b1", records: [
      { seq: 1, at, type: "agent-start", version: "1", labels: {}, probes: [{ name: "smf-n4", kind: "pfcp", target: "10.0.4.1:8805", critical: true, interface: "N4" }] },
      { seq: 2, at, type: "probe", probe: "smf-n4", kind: "pfcp", ok: false, latencyUs: 5, failure: { kind: "timeout" } },
      { seq: 3, at, type: "state", probe: "smf-n4", from: "unknown", to: "unhealthy" },
    ] as TelemetryRecord[] }, at);
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "ep-alarms-js-"));
    nats = await startNats(dir, await freePort(33420));
    for (let i = 0; i < 2; i++) stores.push(await openSqliteStore({ path: ":memory:" }));
  });
  after(async () => {
    for (const e of engines) await e.close().catch(() => {});
    for (const s of stores) await s.close();
    await nats?.stop("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  });

  it("the owner raises, every collector lists it, an ack anywhere shows everywhere, and a restart reloads the list", async () => {
    const a = await open("A", (n) => n.startsWith("upf-a"), stores[0]);
    const b = await open("B", (n) => n.startsWith("upf-b"), stores[1]);
    // Both collectors see every record in this test; only the owner evaluates.
    await fail(stores[0], "upf-a1");
    await fail(stores[1], "upf-a1");
    await a.idle();
    const raised = a.list({ state: "active" }).alarms;
    assert.equal(raised.length, 1);
    const seen = await eventually(async () => b.list({ state: "active" }).alarms[0], 5000);
    assert.equal(seen.alarmId, raised[0].alarmId, "one alarm, the same id on both");
    assert.equal(b.list({}).alarms.length, 1, "the non-owner raised nothing of its own");

    await b.setAck(seen.alarmId, true, "ops-b");
    await eventually(async () => a.get(seen.alarmId)?.ackState === "ACKNOWLEDGED", 5000);
    assert.equal(a.get(seen.alarmId)?.ackUserId, "ops-b");

    await b.addMaintenance(newWindow(maintenanceInputSchema.parse({ name: "swap", nodes: ["upf-a1"], start: Date.now(), end: Date.now() + 60_000 }), "w1", "ops-b", Date.now()));
    await eventually(async () => a.maintenance().some((w) => w.id === "w1"), 5000);

    await a.close();
    engines.splice(engines.indexOf(a), 1);
    const a2 = await open("A", (n) => n.startsWith("upf-a"), stores[0]);
    const back = a2.get(seen.alarmId);
    assert.equal(back?.ackState, "ACKNOWLEDGED", "loaded from the bucket after a restart");
    assert.equal(a2.maintenance().length, 1);
  });
});
