import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCollectorHandler } from "./collector.ts";
import { parseCollectorConfig } from "./config.ts";
import { openSqliteStore } from "./sqlite_store.ts";
import type { TelemetryRecord } from "../telemetry/record.ts";

const T0 = Date.UTC(2026, 10, 1);
const HOUR = 3_600_000;
const probes = (first: number, n: number, at: number): TelemetryRecord[] =>
  Array.from({ length: n }, (_, i) => ({ seq: first + i, type: "probe", at, probe: "n4", kind: "pfcp", ok: true, latencyUs: 1 }) as TelemetryRecord);

describe("retiring nodes", () => {
  it("store.retire() forgets nodes, probes and streams not seen since the cut, and nothing else", async () => {
    const dir = fs.mkdtempSync(join(tmpdir(), "ep-retire-"));
    const s = await openSqliteStore({ path: join(dir, "c.db") });
    await s.ingest({ agentId: "old", bootId: "b1", records: probes(1, 5, T0) }, T0);
    await s.ingest({ agentId: "live", bootId: "b0", records: probes(1, 3, T0) }, T0);
    await s.ingest({ agentId: "live", bootId: "b1", records: probes(1, 5, T0 + 10 * HOUR) }, T0 + 10 * HOUR);
    assert.deepEqual(await s.retire!(T0 + HOUR), ["old"]);
    assert.deepEqual((await s.fleet(T0 + 10 * HOUR)).map((n) => n.id), ["live"]);
    assert.deepEqual((await s.probes()).map((p) => p.node), ["live"]);
    // The old boot's ack of a live node went too: its records count as new again.
    assert.equal((await s.ingest({ agentId: "live", bootId: "b0", records: probes(1, 3, T0) }, T0 + 11 * HOUR)).stored, 3);
    assert.equal((await s.ingest({ agentId: "live", bootId: "b1", records: probes(1, 5, T0) }, T0 + 11 * HOUR)).duplicates, 5);
    await s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the fleet API says when a node will be retired", async () => {
    const dir = fs.mkdtempSync(join(tmpdir(), "ep-retire-"));
    const s = await openSqliteStore({ path: join(dir, "c.db") });
    await s.ingest({ agentId: "upf-1", bootId: "b1", records: probes(1, 1, T0) }, T0);
    const cfg = parseCollectorConfig({ auth: { sharedToken: "agent-token-0123456789", publicRead: true }, store: { path: join(dir, "c.db") }, retireAfter: "48h" }, {});
    const { handler, close } = createCollectorHandler(cfg, s, { now: () => T0, log: () => {} });
    const fleet = await (await handler(new Request("http://c/api/v1/fleet"))).json() as { nodes: { id: string; lastSeen: number; retiresAt: number }[] };
    assert.equal(fleet.nodes[0].retiresAt, fleet.nodes[0].lastSeen + 48 * HOUR);
    close();
    await s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
