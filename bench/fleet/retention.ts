/**
 * @module Long-retention queries at fleet size: a store whose tables hold a year of daily
 * rollups for 10,000 nodes (one probe) and 90 days of hourly rollups for `hourNodes` of them,
 * written straight into the tables (what a year of ingest leaves), then the store's own
 * `history` and `latency` timed. Also bytes per rollup row, for the disk per node and year.
 */
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStore } from "../../collector/mod.ts";
import { openDatabase } from "../../runtime/sqlite.ts";
import { addValue, newSketch, serializeSketch } from "../../collector/sketch.ts";
import { seededRandom } from "../../simulate/rng.ts";

const HOUR = 3_600_000, DAY = 86_400_000;

export async function retentionQueries(nodes: number, days: number, hourNodes: number) {
  const dir = fs.mkdtempSync(join(tmpdir(), "ep-bench-retention-"));
  const path = join(dir, "c.db");
  (await openSqliteStore({ path })).close();
  const r = seededRandom(5);
  // 16 sketch shapes of a day of a 5 s probe (17,280 results, log-normal-ish around 1-3 ms).
  const blobs = Array.from({ length: 16 }, () => {
    const s = newSketch();
    const median = 800 + r() * 2000;
    for (let i = 0; i < 17_280; i++) addValue(s, Math.round(median * Math.exp((r() + r() + r() - 1.5) * 0.6)));
    return serializeSketch(s);
  });
  const now = Date.now();
  const today = now - (now % DAY);
  const db = await openDatabase(path);
  const t0 = performance.now();
  db.exec("BEGIN");
  const node = db.prepare("INSERT INTO nodes (agent_id, labels, boot_id, first_seen, last_seen, running) VALUES (?, '{}', 'b1', ?, ?, 1)");
  const probes = db.prepare("INSERT INTO node_probes (agent_id, body) VALUES (?, ?)");
  const day = db.prepare("INSERT INTO days (agent_id, probe, t, count, ok, failures, sketch) VALUES (?, 'n4-smf', ?, 17280, ?, ?, ?)");
  const hour = db.prepare("INSERT INTO hours (agent_id, probe, t, count, ok, failures, sketch) VALUES (?, 'n4-smf', ?, 720, ?, ?, ?)");
  let dayRows = 0, hourRows = 0;
  for (let n = 0; n < nodes; n++) {
    const id = `upf-${String(n).padStart(5, "0")}`;
    node.run(id, now - days * DAY, now);
    probes.run(id, JSON.stringify([["n4-smf", "pfcp", "healthy", null, null, null, 0, 0, 0]]));
    for (let d = 1; d <= days; d++) {
      const fails = r() < 0.05 ? Math.floor(r() * 500) : 0;
      day.run(id, today - d * DAY, 17_280 - fails, fails ? `{"timeout":${fails}}` : "{}", blobs[(n + d) % 16]);
      dayRows++;
    }
    if (n < hourNodes) {
      for (let h = 1; h <= 90 * 24; h++) {
        hour.run(id, today - h * HOUR, 720, "{}", blobs[(n + h) % 16].subarray(0, 4 + 8 * 12));
        hourRows++;
      }
    }
  }
  // The fleet-wide rollups of the same probe (one row per day and per hour for all nodes).
  const fleetDay = db.prepare("INSERT INTO fleet_days (probe, t, count, ok, failures, sketch) VALUES ('n4-smf', ?, ?, ?, '{}', ?)");
  const fleetHour = db.prepare("INSERT INTO fleet_hours (probe, t, count, ok, failures, sketch) VALUES ('n4-smf', ?, ?, ?, '{}', ?)");
  for (let d = 1; d <= days; d++) fleetDay.run(today - d * DAY, 17_280 * nodes, 17_280 * nodes, blobs[d % 16]);
  for (let h = 1; h <= 90 * 24; h++) fleetHour.run(today - h * HOUR, 720 * nodes, 720 * nodes, blobs[h % 16]);
  db.exec("COMMIT");
  const fillSec = (performance.now() - t0) / 1000;
  db.close();
  const bytes = fs.statSync(path).size;
  const s = await openSqliteStore({ path });
  const time = async (f: () => Promise<unknown>, runs = 5) => {
    if (runs > 1) await f();
    const t = performance.now();
    for (let i = 0; i < runs; i++) await f();
    return +((performance.now() - t) / runs).toFixed(2);
  };
  const year = { from: today - days * DAY, to: today };
  const quarter = { from: today - 90 * DAY, to: today };
  const out = {
    nodes, dayRows, hourRows, fillSec: +fillSec.toFixed(1), dbMiB: +(bytes / 1048576).toFixed(1),
    bytesPerRollupRow: Math.round(bytes / (dayRows + hourRows)),
    msOneNodeYearByDay: await time(() => s.history("upf-00042", "n4-smf", year, DAY)),
    msOneNodeQuarterByHour: await time(() => s.history("upf-00042", "n4-smf", quarter, HOUR)),
    msOneNodeYearLatency: await time(() => s.latency("n4-smf", year, ["upf-00042"])),
    msTenNodesYearLatency: await time(() => s.latency("n4-smf", year, Array.from({ length: 10 }, (_, i) => `upf-${String(i * 7).padStart(5, "0")}`))),
    // The whole fleet: from the fleet-wide rollups.
    msAllNodesYearLatency: await time(() => s.latency("n4-smf", year)),
    msAllNodes30DaysLatency: await time(() => s.latency("n4-smf", { from: today - 30 * DAY, to: today })),
  };
  await s.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return out;
}
