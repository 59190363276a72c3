/**
 * @module An embedded SQLite database: bun:sqlite on Bun, node:sqlite on Deno (and Node).
 *
 * A tiny common surface (positional `?` parameters only) so collector/sqlite_store.ts never sees
 * the runtime. The runtime module is imported by a computed specifier so Deno's type checker and
 * `bun build` do not try to resolve the other runtime's built-in.
 */
import { detectRuntime } from "./detect.ts";

export type SqlValue = string | number | bigint | Uint8Array | null;
export type Row = Record<string, SqlValue>;

export interface Statement {
  run(...params: SqlValue[]): { changes: number; lastInsertRowid: number };
  all(...params: SqlValue[]): Row[];
  get(...params: SqlValue[]): Row | undefined;
}

export interface Database {
  /** Run one or more statements without results (schema, PRAGMA, BEGIN/COMMIT). */
  exec(sql: string): void;
  prepare(sql: string): Statement;
  close(): void;
}

interface NativeStatement {
  run(...p: unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  all(...p: unknown[]): unknown[];
  get(...p: unknown[]): unknown;
}
interface NativeDb {
  exec(sql: string): void;
  prepare(sql: string): NativeStatement;
  close(): void;
}

export interface OpenOptions {
  /** Open an existing file for reading only (a second connection beside the writer's). @default false */
  readonly readonly?: boolean;
}

/**
 * Open (creating, unless `readonly`) the database file at `path` (":memory:" for a scratch one).
 * @throws {Error} "Cannot open SQLite database …" with the runtime's error as cause.
 */
export async function openDatabase(path: string, options: OpenOptions = {}): Promise<Database> {
  let db: NativeDb;
  try {
    if (detectRuntime() === "bun") {
      const spec = "bun:sqlite";
      const mod = (await import(spec)) as { Database: new (p: string, o: object) => NativeDb };
      db = new mod.Database(path, options.readonly ? { readonly: true } : { create: true });
    } else {
      const spec = "node:sqlite";
      const mod = (await import(spec)) as { DatabaseSync: new (p: string, o?: object) => NativeDb };
      db = options.readonly ? new mod.DatabaseSync(path, { readOnly: true }) : new mod.DatabaseSync(path);
    }
  } catch (e) {
    throw new Error(`Cannot open SQLite database ${path}: ${(e as Error).message}`, { cause: e });
  }
  const wrap = (s: NativeStatement): Statement => ({
    run: (...p) => {
      const r = s.run(...p);
      return { changes: Number(r.changes), lastInsertRowid: Number(r.lastInsertRowid) };
    },
    all: (...p) => s.all(...p) as Row[],
    // bun:sqlite answers null for no row, node:sqlite undefined.
    get: (...p) => (s.get(...p) ?? undefined) as Row | undefined,
  });
  return {
    exec: (sql) => db.exec(sql),
    prepare: (sql) => wrap(db.prepare(sql)),
    close: () => db.close(),
  };
}
