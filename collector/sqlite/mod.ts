/** @module The SQLite store's parts by concern; collector/sqlite_store.ts composes them. */
export { SCHEMA, SCHEMA_INDEXES, SCHEMA_UPGRADES } from "./schema.ts";
export { prepareStatements, type Statements } from "./statements.ts";
export * from "./rows.ts";
export { type GroupCommit, groupCommit, type GroupWriter } from "./group_commit.ts";
export { type RowsUpsert, rowsUpsert } from "./rows_upsert.ts";
export * from "./heavy_reads.ts";
export { type ReadThread, startReadThread } from "./read_thread.ts";
