/**
 * @module Where alarms live between restarts: a small interface with an SQLite implementation
 * (collector/alarms/sqlite_repo.ts) and a JetStream one (collector/alarms/jetstream_repo.ts).
 * The engine keeps the alarm list in memory and writes every change through this.
 */
import type { ProbeMeta } from "../../telemetry/record.ts";
import type { AlarmRecord } from "./types.ts";
import type { MaintenanceWindow } from "./maintenance.ts";

export interface AlarmRepo {
  /** The alarm list (active, or cleared and unacknowledged), probe inventories and maintenance windows. */
  load(): Promise<{ alarms: AlarmRecord[]; inventory: [node: string, probes: ProbeMeta[]][]; maintenance: MaintenanceWindow[] }>;
  /** Upsert by alarmId; cleared-and-acknowledged alarms stay as history. */
  saveAlarms(alarms: readonly AlarmRecord[]): Promise<void>;
  saveInventory(node: string, probes: readonly ProbeMeta[]): Promise<void>;
  /** Alarms of `node` (every node when omitted) whose life overlaps [from, to), oldest first, at most `limit`. */
  history(q: { node?: string; from: number; to: number; limit: number }): Promise<AlarmRecord[]>;
  saveMaintenance(w: MaintenanceWindow): Promise<void>;
  deleteMaintenance(id: string): Promise<boolean>;
  /** Delete history cleared before `before`. */
  prune(before: number): Promise<number>;
  /**
   * Watch changes written by other collectors (JetStream); the SQLite repo has none.
   * Returns the stop function.
   */
  watch?(onAlarm: (a: AlarmRecord) => void, onMaintenance: (w: MaintenanceWindow | { id: string; deleted: true }) => void): () => void;
  close(): Promise<void>;
}

/** A durable queue of northbound messages per receiver (collector/alarms/outbox.ts drains it). */
export interface OutboxStore {
  add(receiver: string, bodies: readonly string[]): void;
  /** The oldest `n` messages of a receiver. */
  peek(receiver: string, n: number): { id: number; body: string }[];
  remove(receiver: string, ids: readonly number[]): void;
  size(receiver: string): number;
  /** Drop the oldest messages beyond `max` (a receiver down for weeks must not fill the disk); returns how many. */
  trim(receiver: string, max: number): number;
}
