/** @module The SQLite store's prepared statements, by table (schema: collector/sqlite/schema.ts). */
import type { Database, Statement } from "../../runtime/sqlite.ts";

export function prepareStatements(db: Database) {
  return {
    allStreams: db.prepare("SELECT * FROM streams"),
    putStream: db.prepare(`INSERT INTO streams (agent_id, boot_id, acked, first_seen, last_seen, gap, spool_drops, hole_from, hole_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (agent_id, boot_id) DO UPDATE SET acked = excluded.acked, last_seen = excluded.last_seen, gap = excluded.gap,
        spool_drops = excluded.spool_drops, hole_from = excluded.hole_from, hole_to = excluded.hole_to`),
    insBatch: db.prepare("INSERT INTO batches (agent_id, boot_id, first_seq, last_seq, first_at, last_at, received_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
    journalAfter: db.prepare("SELECT rowid AS id, received_at, body FROM batches WHERE rowid > ? ORDER BY rowid"),
    maxBatch: db.prepare("SELECT coalesce(max(rowid), 0) AS id FROM batches"),
    getCheckpoint: db.prepare("SELECT batch_rowid, fleet_rowid FROM checkpoint WHERE id = 1"),
    putFleetMark: db.prepare("UPDATE checkpoint SET fleet_rowid = ? WHERE id = 1"),
    ...fleetRollup(db, "minutes"),
    ...fleetRollup(db, "hours"),
    ...fleetRollup(db, "days"),
    putCheckpoint: db.prepare("UPDATE checkpoint SET batch_rowid = ? WHERE id = 1"),
    // The newest row stays: rowids must keep growing (a table emptied starts again at 1).
    dropJournal: db.prepare("DELETE FROM batches WHERE rowid <= ? AND rowid < (SELECT max(rowid) FROM batches)"),
    insEvent: db.prepare("INSERT INTO events (agent_id, boot_id, seq, at, type, probe, body) VALUES (?, ?, ?, ?, ?, ?, ?)"),
    eventsOf: db.prepare("SELECT * FROM events WHERE agent_id = ? ORDER BY at DESC, seq DESC LIMIT 50"),
    getMinute: db.prepare("SELECT count, ok, failures, sketch FROM minutes WHERE agent_id = ? AND probe = ? AND minute = ?"),
    // The minutes of an open hour or day written after its row (read_model.ts rollupWrite).
    minutesAfter: db.prepare("SELECT minute, count, ok, failures, sketch FROM minutes WHERE agent_id = ? AND probe = ? AND minute > ? AND minute < ?"),
    // The minute, hour and day rows are upserted many per statement (rows_upsert.ts). A rowid table
    // with an (agent, probe, minute) upsert measured 3-6x faster than WITHOUT ROWID with the
    // sketch blob in the key's b-tree (bun:sqlite, 30 rows per transaction).
    // The read statements (minutes, hours, days, fleet rollups in a window) are in heavy_reads.ts.
    // Rollups: the same shape per hour and per day; `t` is the step's start.
    ...rollup(db, "hours", "Hour"),
    ...rollup(db, "days", "Day"),
    pruneHours: db.prepare("DELETE FROM hours WHERE t < ?"),
    pruneDays: db.prepare("DELETE FROM days WHERE t < ?"),
    allNodes: db.prepare("SELECT * FROM nodes"),
    putNode: db.prepare(`INSERT INTO nodes (agent_id, labels, version, boot_id, first_seen, last_seen, last_record_at, verdict, running, spool_drops, peer_restarts, open_from, open_rowid)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (agent_id) DO UPDATE SET labels = excluded.labels, version = excluded.version, boot_id = excluded.boot_id,
        last_seen = excluded.last_seen, last_record_at = excluded.last_record_at, verdict = excluded.verdict, running = excluded.running,
        spool_drops = excluded.spool_drops, peer_restarts = excluded.peer_restarts, open_from = excluded.open_from, open_rowid = excluded.open_rowid`),
    allProbes: db.prepare("SELECT * FROM probes"),
    allNodeProbes: db.prepare("SELECT agent_id, body FROM node_probes"),
    putNodeProbes: db.prepare("INSERT INTO node_probes (agent_id, body) VALUES (?, ?) ON CONFLICT (agent_id) DO UPDATE SET body = excluded.body"),
    // By receive time, not the agents' clocks: a box that boots in 1970 before NTP keeps its data.
    // Never past the checkpoint: the rows after it are the journal.
    pruneBatches: db.prepare("DELETE FROM batches WHERE received_at < ? AND rowid <= ?"),
    delNode: db.prepare("DELETE FROM nodes WHERE agent_id = ?"),
    delProbes: db.prepare("DELETE FROM probes WHERE agent_id = ?"),
    delNodeProbes: db.prepare("DELETE FROM node_probes WHERE agent_id = ?"),
    delStream: db.prepare("DELETE FROM streams WHERE agent_id = ? AND boot_id = ?"),
    pruneEvents: db.prepare("DELETE FROM events WHERE at < ?"),
    pruneMinutes: db.prepare("DELETE FROM minutes WHERE minute < ?"),
  };
}

/** get for one rollup table (`hours` or `days`): the same columns as `minutes`, keyed by `t` (written by rows_upsert.ts). */
function rollup<T extends "hours" | "days", N extends string>(db: Database, table: T, name: N) {
  const cols = "count, ok, failures, sketch";
  return {
    [`get${name}`]: db.prepare(`SELECT ${cols}, through FROM ${table} WHERE agent_id = ? AND probe = ? AND t = ?`),
    // Open rows (SCHEMA_INDEXES) of periods over before the given time.
    [`ended${name}`]: db.prepare(`SELECT agent_id, probe, t FROM ${table} WHERE through IS NOT NULL AND t < ?`),
  } as Record<`get${N}` | `ended${N}`, Statement>;
}

/** get/put/prune for one fleet-wide rollup table (`fleet_minutes`, `fleet_hours`, `fleet_days`). */
function fleetRollup<L extends "minutes" | "hours" | "days">(db: Database, level: L) {
  const table = `fleet_${level}`, cols = "count, ok, failures, sketch";
  return {
    [`fleetGet_${level}`]: db.prepare(`SELECT ${cols} FROM ${table} WHERE probe = ? AND t = ?`),
    [`fleetPut_${level}`]: db.prepare(`INSERT INTO ${table} (probe, t, ${cols}) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (probe, t) DO UPDATE SET count = excluded.count, ok = excluded.ok, failures = excluded.failures, sketch = excluded.sketch`),
    [`fleetPrune_${level}`]: db.prepare(`DELETE FROM ${table} WHERE t < ?`),
  } as Record<`fleetGet_${L}` | `fleetPut_${L}` | `fleetPrune_${L}`, Statement>;
}

export type Statements = ReturnType<typeof prepareStatements>;
