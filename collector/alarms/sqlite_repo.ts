/**
 * @module The alarm repository and the northbound outbox on an SQLite file (runtime/sqlite.ts), WAL
 * mode: a change is on disk before the engine publishes it, so alarms survive a collector restart
 * and a receiver that is down loses nothing (its messages wait in `outbox`).
 */
import { type Database, openDatabase } from "../../runtime/sqlite.ts";
import type { ProbeMeta } from "../../telemetry/record.ts";
import type { MaintenanceWindow } from "./maintenance.ts";
import type { AlarmRepo, OutboxStore } from "./repo.ts";
import type { AlarmRecord } from "./types.ts";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS alarms (alarm_id TEXT PRIMARY KEY, node TEXT, raised INTEGER NOT NULL, cleared INTEGER,
  in_list INTEGER NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS alarms_node ON alarms (node, raised);
CREATE INDEX IF NOT EXISTS alarms_raised ON alarms (raised);
CREATE INDEX IF NOT EXISTS alarms_in_list ON alarms (in_list) WHERE in_list = 1;
CREATE TABLE IF NOT EXISTS inventory (node TEXT PRIMARY KEY, probes TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS maintenance (id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, receiver TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS outbox_receiver ON outbox (receiver, id);
`;

const num = (v: unknown): number => (typeof v === "bigint" ? Number(v) : (v as number));

/** True while an alarm belongs in the alarm list (TS 28.532: until cleared and acknowledged). */
export function inList(a: AlarmRecord): boolean {
  return !(a.perceivedSeverity === "CLEARED" && a.ackState === "ACKNOWLEDGED");
}

export interface SqliteAlarmRepo extends AlarmRepo {
  readonly outbox: OutboxStore;
}

/** @throws {Error} "Cannot open SQLite database …" */
export async function openSqliteAlarmRepo(path: string): Promise<SqliteAlarmRepo> {
  const db: Database = await openDatabase(path);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA busy_timeout = 5000");
  db.exec(SCHEMA);
  const q = {
    put: db.prepare(`INSERT INTO alarms (alarm_id, node, raised, cleared, in_list, body) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (alarm_id) DO UPDATE SET cleared = excluded.cleared, in_list = excluded.in_list, body = excluded.body`),
    list: db.prepare("SELECT body FROM alarms WHERE in_list = 1"),
    histNode: db.prepare("SELECT body FROM alarms WHERE node = ? AND raised < ? AND (cleared IS NULL OR cleared >= ?) ORDER BY raised LIMIT ?"),
    histAll: db.prepare("SELECT body FROM alarms WHERE raised < ? AND (cleared IS NULL OR cleared >= ?) ORDER BY raised LIMIT ?"),
    inv: db.prepare("SELECT node, probes FROM inventory"),
    putInv: db.prepare("INSERT INTO inventory (node, probes) VALUES (?, ?) ON CONFLICT (node) DO UPDATE SET probes = excluded.probes"),
    maint: db.prepare("SELECT body FROM maintenance ORDER BY id"),
    putMaint: db.prepare("INSERT INTO maintenance (id, body) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body"),
    delMaint: db.prepare("DELETE FROM maintenance WHERE id = ?"),
    prune: db.prepare("DELETE FROM alarms WHERE in_list = 0 AND cleared IS NOT NULL AND cleared < ?"),
    obAdd: db.prepare("INSERT INTO outbox (receiver, body) VALUES (?, ?)"),
    obPeek: db.prepare("SELECT id, body FROM outbox WHERE receiver = ? ORDER BY id LIMIT ?"),
    obDel: db.prepare("DELETE FROM outbox WHERE receiver = ? AND id = ?"),
    obSize: db.prepare("SELECT count(*) AS n FROM outbox WHERE receiver = ?"),
    obTrim: db.prepare("DELETE FROM outbox WHERE receiver = ? AND id IN (SELECT id FROM outbox WHERE receiver = ? ORDER BY id LIMIT ?)"),
  };
  const tx = (f: () => void) => {
    db.exec("BEGIN");
    try {
      f();
      db.exec("COMMIT");
    } catch (e) {
      db.exec("ROLLBACK");
      throw e;
    }
  };
  const outbox: OutboxStore = {
    add: (receiver, bodies) => tx(() => {
      for (const b of bodies) q.obAdd.run(receiver, b);
    }),
    peek: (receiver, n) => q.obPeek.all(receiver, n).map((r) => ({ id: num(r.id), body: String(r.body) })),
    remove: (receiver, ids) => tx(() => {
      for (const id of ids) q.obDel.run(receiver, id);
    }),
    size: (receiver) => num(q.obSize.get(receiver)?.n ?? 0),
    trim: (receiver, max) => {
      const over = num(q.obSize.get(receiver)?.n ?? 0) - max;
      return over > 0 ? q.obTrim.run(receiver, receiver, over).changes : 0;
    },
  };
  return {
    outbox,
    load() {
      const alarms = q.list.all().map((r) => JSON.parse(String(r.body)) as AlarmRecord);
      const inventory = q.inv.all().map((r) => [String(r.node), JSON.parse(String(r.probes)) as ProbeMeta[]] as [string, ProbeMeta[]]);
      const maintenance = q.maint.all().map((r) => JSON.parse(String(r.body)) as MaintenanceWindow);
      return Promise.resolve({ alarms, inventory, maintenance });
    },
    saveAlarms(alarms) {
      tx(() => {
        for (const a of alarms) q.put.run(a.alarmId, a.node ?? null, a.alarmRaisedTime, a.alarmClearedTime ?? null, inList(a) ? 1 : 0, JSON.stringify(a));
      });
      return Promise.resolve();
    },
    saveInventory(node, probes) {
      q.putInv.run(node, JSON.stringify(probes));
      return Promise.resolve();
    },
    history({ node, from, to, limit }) {
      const rows = node === undefined ? q.histAll.all(to, from, limit) : q.histNode.all(node, to, from, limit);
      return Promise.resolve(rows.map((r) => JSON.parse(String(r.body)) as AlarmRecord));
    },
    saveMaintenance(w) {
      q.putMaint.run(w.id, JSON.stringify(w));
      return Promise.resolve();
    },
    deleteMaintenance(id) {
      return Promise.resolve(q.delMaint.run(id).changes > 0);
    },
    prune(before) {
      return Promise.resolve(q.prune.run(before).changes);
    },
    close() {
      db.close();
      return Promise.resolve();
    },
  };
}
