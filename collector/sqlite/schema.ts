/**
 * @module The SQLite store's tables. `batches` is both the raw archive and the journal: a batch
 * is durable once its row committed, and the read model (nodes, probes, streams, minutes) is
 * written at checkpoints; `checkpoint.batch_rowid` says which batches the tables already
 * reflect, so opening the store replays only the rows after it (collector/sqlite_store.ts).
 * `hours` and `days` are the same aggregates as `minutes` at coarser steps, kept longer (rollups).
 * `fleet_minutes`, `fleet_hours`, `fleet_days`: one probe name merged across every node, so a
 * fleet-wide window reads one row per step instead of one per node and step;
 * `checkpoint.fleet_rowid` is the journal row they reflect.
 * `node_probes` holds a node's probe states as one JSON row (one write per node instead of one
 * per probe); `probes` is read once if `node_probes` is empty (databases written before it).
 * `streams.hole_from`/`hole_to`: the stream's open sequence hole (collector/seq_admit.ts), so a
 * restart keeps admitting the seqs an unaccounted jump skipped (SCHEMA_UPGRADES adds them to a
 * file written before).
 */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS streams (agent_id TEXT NOT NULL, boot_id TEXT NOT NULL, acked INTEGER NOT NULL,
  first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, gap INTEGER NOT NULL DEFAULT 0, spool_drops INTEGER NOT NULL DEFAULT 0,
  hole_from INTEGER, hole_to INTEGER,
  PRIMARY KEY (agent_id, boot_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS nodes (agent_id TEXT PRIMARY KEY, labels TEXT, version TEXT, boot_id TEXT NOT NULL,
  first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, last_record_at INTEGER, verdict TEXT, running INTEGER NOT NULL DEFAULT 1,
  spool_drops INTEGER NOT NULL DEFAULT 0, peer_restarts INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS probes (agent_id TEXT NOT NULL, probe TEXT NOT NULL, kind TEXT, state TEXT, state_since INTEGER,
  last_at INTEGER, last_ok INTEGER, last_latency_us INTEGER, last_failure TEXT, facts TEXT,
  peer_restarts INTEGER NOT NULL DEFAULT 0, ok_total INTEGER NOT NULL DEFAULT 0, fail_total INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (agent_id, probe)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS batches (agent_id TEXT NOT NULL, boot_id TEXT NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,
  first_at INTEGER NOT NULL, last_at INTEGER NOT NULL, received_at INTEGER NOT NULL, body BLOB NOT NULL);
-- Raw retention goes by receive time (collector/sqlite/statements.ts pruneBatches).
CREATE INDEX IF NOT EXISTS batches_received_at ON batches (received_at);
DROP INDEX IF EXISTS batches_last_at;
CREATE TABLE IF NOT EXISTS events (agent_id TEXT NOT NULL, boot_id TEXT NOT NULL, seq INTEGER NOT NULL, at INTEGER NOT NULL,
  type TEXT NOT NULL, probe TEXT, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_node ON events (agent_id, at);
CREATE TABLE IF NOT EXISTS minutes (agent_id TEXT NOT NULL, probe TEXT NOT NULL, minute INTEGER NOT NULL, count INTEGER NOT NULL,
  ok INTEGER NOT NULL, failures TEXT NOT NULL, sketch BLOB NOT NULL, UNIQUE (agent_id, probe, minute));
CREATE TABLE IF NOT EXISTS hours (agent_id TEXT NOT NULL, probe TEXT NOT NULL, t INTEGER NOT NULL, count INTEGER NOT NULL,
  ok INTEGER NOT NULL, failures TEXT NOT NULL, sketch BLOB NOT NULL, through INTEGER, UNIQUE (agent_id, probe, t));
CREATE TABLE IF NOT EXISTS days (agent_id TEXT NOT NULL, probe TEXT NOT NULL, t INTEGER NOT NULL, count INTEGER NOT NULL,
  ok INTEGER NOT NULL, failures TEXT NOT NULL, sketch BLOB NOT NULL, through INTEGER, UNIQUE (agent_id, probe, t));
CREATE TABLE IF NOT EXISTS node_probes (agent_id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fleet_minutes (probe TEXT NOT NULL, t INTEGER NOT NULL, count INTEGER NOT NULL, ok INTEGER NOT NULL,
  failures TEXT NOT NULL, sketch BLOB NOT NULL, UNIQUE (probe, t));
CREATE TABLE IF NOT EXISTS fleet_hours (probe TEXT NOT NULL, t INTEGER NOT NULL, count INTEGER NOT NULL, ok INTEGER NOT NULL,
  failures TEXT NOT NULL, sketch BLOB NOT NULL, UNIQUE (probe, t));
CREATE TABLE IF NOT EXISTS fleet_days (probe TEXT NOT NULL, t INTEGER NOT NULL, count INTEGER NOT NULL, ok INTEGER NOT NULL,
  failures TEXT NOT NULL, sketch BLOB NOT NULL, UNIQUE (probe, t));
CREATE TABLE IF NOT EXISTS checkpoint (id INTEGER PRIMARY KEY CHECK (id = 1), batch_rowid INTEGER NOT NULL, fleet_rowid INTEGER NOT NULL DEFAULT 0);
INSERT OR IGNORE INTO checkpoint (id, batch_rowid, fleet_rowid) VALUES (1, 0, 0);
`;

/** Columns added after a table was first shipped: [table, column, type]; added when missing. */
export const SCHEMA_UPGRADES: readonly (readonly [string, string, string])[] = [
  ["streams", "hole_from", "INTEGER"],
  ["streams", "hole_to", "INTEGER"],
  // An hour's or day's row holds the minutes up to `through` (NULL: the whole period); the
  // minute rows after it hold the rest (collector/read_model.ts rollupWrite).
  ["hours", "through", "INTEGER"],
  ["days", "through", "INTEGER"],
  // A node's open minute (collector/sqlite_store.ts): not in the minute rows written with the node
  // from `open_from` on; the journal from row `open_rowid` on holds it. NULL: nothing open.
  ["nodes", "open_from", "INTEGER"],
  ["nodes", "open_rowid", "INTEGER"],
];

/**
 * After SCHEMA_UPGRADES (the columns they index may be new): the open hours and days, whose rows
 * hold part of their minutes (`through` set); a full checkpoint completes those whose period is
 * over (collector/sqlite_store.ts), so the index holds about two rows per probe.
 */
export const SCHEMA_INDEXES = `
CREATE INDEX IF NOT EXISTS hours_open ON hours (t) WHERE through IS NOT NULL;
CREATE INDEX IF NOT EXISTS days_open ON days (t) WHERE through IS NOT NULL;
`;
