import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Database, openDatabase } from "../../runtime/sqlite.ts";
import { groupCommit, type GroupWriter } from "./group_commit.ts";

interface Row {
  readonly id: number;
  readonly parent: number;
}

/**
 * A real SQLite writer: `child.parent` is a foreign key checked at COMMIT (DEFERRABLE INITIALLY
 * DEFERRED, https://www.sqlite.org/foreignkeys.html#fk_deferred), so a row naming no parent
 * makes the COMMIT itself fail, after every write of the group succeeded.
 */
async function sqliteWriter(log: string[]) {
  const path = join(fs.mkdtempSync(join(tmpdir(), "ep-group-")), "g.db");
  const db = await openDatabase(path);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA foreign_keys = ON");
  db.exec("CREATE TABLE parent (id INTEGER PRIMARY KEY); INSERT INTO parent VALUES (1)");
  db.exec("CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER NOT NULL REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)");
  const ins = db.prepare("INSERT INTO child (id, parent) VALUES (?, ?)");
  const writer: GroupWriter<Row, number> = {
    begin: () => {
      log.push("begin");
      db.exec("BEGIN IMMEDIATE");
    },
    commit: () => {
      log.push("commit");
      db.exec("COMMIT");
    },
    rollback: () => {
      log.push("rollback");
      db.exec("ROLLBACK");
    },
    write: (r, group) => {
      log.push(`write ${r.id} of ${group}`);
      return ins.run(r.id, r.parent).lastInsertRowid;
    },
    committed: (r) => void log.push(`committed ${r.id}`),
    settled: (items) => void log.push(`settled ${items.length}`),
  };
  return { path, db, writer };
}

/** Rows another connection sees: only what was committed. */
async function committedIds(path: string): Promise<number[]> {
  const other: Database = await openDatabase(path);
  try {
    return other.prepare("SELECT id FROM child ORDER BY id").all().map((r) => Number(r.id));
  } finally {
    other.close();
  }
}

/** A writer that records the size of each group it writes. */
function countingWriter(groups: number[][]): GroupWriter<number, number> {
  let open: number[] = [];
  return {
    begin: () => void (open = []),
    commit: () => void groups.push(open),
    rollback: () => {},
    write: (n) => {
      open.push(n);
      return n;
    },
    committed: () => {},
  };
}

describe("groupCommit()", () => {
  it("writes what arrives together in one transaction and answers each only after its COMMIT", async () => {
    const log: string[] = [];
    const { path, db, writer } = await sqliteWriter(log);
    const g = groupCommit(writer, { maxGroup: 64 });
    const seen: number[][] = [];
    const answers = [1, 2, 3].map((id) => g.submit({ id, parent: 1 }).then(async (rowid) => {
      log.push(`answered ${id}`);
      // Answered means durable: a second connection already sees the row.
      seen.push(await committedIds(path));
      return rowid;
    }));
    assert.deepEqual(await Promise.all(answers), [1, 2, 3]);
    assert.deepEqual(log, [
      "begin", "write 1 of 3", "write 2 of 3", "write 3 of 3", "commit",
      "committed 1", "committed 2", "committed 3", "settled 3",
      "answered 1", "answered 2", "answered 3",
    ]);
    for (const s of seen) assert.deepEqual(s, [1, 2, 3]);
    db.close();
  });

  it("a failing COMMIT fails every item of the group: none is committed or acknowledged, the next group starts clean", async () => {
    const log: string[] = [];
    const { path, db, writer } = await sqliteWriter(log);
    const g = groupCommit(writer, { maxGroup: 64 });
    // Item 2 names a parent that does not exist: every write succeeds, the COMMIT does not.
    const results = await Promise.allSettled([g.submit({ id: 1, parent: 1 }), g.submit({ id: 2, parent: 99 }), g.submit({ id: 3, parent: 1 })]);
    assert.deepEqual(results.map((r) => r.status), ["rejected", "rejected", "rejected"]);
    for (const r of results) assert.match(String((r as PromiseRejectedResult).reason), /FOREIGN KEY constraint failed/);
    assert.deepEqual(log, ["begin", "write 1 of 3", "write 2 of 3", "write 3 of 3", "commit", "rollback"], "no item reached committed()");
    assert.deepEqual(await committedIds(path), [], "nothing of the group is stored");
    assert.equal(await g.submit({ id: 1, parent: 1 }), 1, "the transaction was rolled back: a new group begins");
    assert.deepEqual(await committedIds(path), [1]);
    db.close();
  });

  it("a write that throws fails alone; a BEGIN-side failure fails the group and leaves no transaction open", async () => {
    const log: string[] = [];
    const { path, db, writer } = await sqliteWriter(log);
    // Primary key 1 twice: the second write throws, the others commit.
    const g = groupCommit(writer, { maxGroup: 64 });
    const r = await Promise.allSettled([g.submit({ id: 1, parent: 1 }), g.submit({ id: 1, parent: 1 }), g.submit({ id: 2, parent: 1 })]);
    assert.deepEqual(r.map((x) => x.status), ["fulfilled", "rejected", "fulfilled"]);
    assert.deepEqual(await committedIds(path), [1, 2]);
    // begin() that opens the transaction and then fails (as the store's begin writes dirty nodes).
    let failBegin = true;
    const g2 = groupCommit<Row, number>({
      ...writer,
      begin: () => {
        writer.begin();
        if (failBegin) throw new Error("Cannot write the dirty nodes: disk I/O error");
      },
    }, { maxGroup: 64 });
    await assert.rejects(g2.submit({ id: 3, parent: 1 }), /disk I\/O error/);
    failBegin = false;
    assert.equal(await g2.submit({ id: 4, parent: 1 }), 4, "BEGIN works again: the failed one was rolled back");
    assert.deepEqual(await committedIds(path), [1, 2, 4]);
    db.close();
  });

  it("bounds a group by count: maxGroup items are written at once, the rest form the next group", async () => {
    const groups: number[][] = [];
    const g = groupCommit(countingWriter(groups), { maxGroup: 3 });
    const all = Array.from({ length: 7 }, (_, i) => g.submit(i));
    // The first two groups were full: written synchronously within submit.
    assert.deepEqual(groups, [[0, 1, 2], [3, 4, 5]]);
    assert.deepEqual(await Promise.all(all), [0, 1, 2, 3, 4, 5, 6]);
    assert.deepEqual(groups, [[0, 1, 2], [3, 4, 5], [6]]);
  });

  it("bounds a group by bytes: an item that would pass the bound opens the next group, one larger than it goes alone", async () => {
    const groups: number[][] = [];
    const g = groupCommit(countingWriter(groups), { maxGroup: 100, maxBytes: 100, sizeOf: (n) => n });
    const all = [40, 40, 40, 150, 10].map((n) => g.submit(n));
    await Promise.all(all);
    assert.deepEqual(groups, [[40, 40], [40], [150], [10]]);
  });

  it("waits at most maxWaitMs for more: one timer per group, a timer of a group already written does nothing", async () => {
    const groups: number[][] = [];
    const timers: { fn: () => void; ms: number }[] = [];
    const g = groupCommit(countingWriter(groups), { maxGroup: 3, maxWaitMs: 2, setTimer: (fn, ms) => void timers.push({ fn, ms }) });
    const a = g.submit(1);
    const b = g.submit(2);
    assert.deepEqual(timers.map((t) => t.ms), [2], "one timer for the group, armed by its first item");
    assert.deepEqual(groups, [], "nothing written before the wait is over");
    timers[0].fn();
    assert.deepEqual(groups, [[1, 2]]);
    assert.deepEqual(await Promise.all([a, b]), [1, 2]);
    // A group filled before its wait is over is written at once; its timer then finds nothing.
    const c = [3, 4, 5].map((n) => g.submit(n));
    assert.equal(timers.length, 2);
    assert.deepEqual(groups, [[1, 2], [3, 4, 5]]);
    const d = g.submit(6);
    assert.equal(timers.length, 3, "the next group has its own timer");
    timers[1].fn();
    assert.deepEqual(groups, [[1, 2], [3, 4, 5]], "the stale timer did not write the new group early");
    timers[2].fn();
    await Promise.all([...c, d]);
    assert.deepEqual(groups, [[1, 2], [3, 4, 5], [6]]);
  });

  it("refuses bounds that cannot hold", () => {
    const w = countingWriter([]);
    assert.throws(() => groupCommit(w, { maxGroup: 0 }), /^RangeError: Cannot group commits as 'maxGroup' must be a positive integer: current value is 0$/);
    assert.throws(() => groupCommit(w, { maxGroup: 1, maxWaitMs: -1 }), /^RangeError: Cannot group commits as 'maxWaitMs' must be 0 or more: current value is -1$/);
  });
});
