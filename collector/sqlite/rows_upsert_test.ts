import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { openDatabase } from "../../runtime/sqlite.ts";
import { ROWS_PER_STATEMENT, rowsUpsert } from "./rows_upsert.ts";

async function table() {
  const db = await openDatabase(":memory:");
  db.exec("CREATE TABLE m (agent_id TEXT NOT NULL, probe TEXT NOT NULL, t INTEGER NOT NULL, count INTEGER NOT NULL, sketch BLOB NOT NULL, UNIQUE (agent_id, probe, t))");
  return db;
}

describe("rowsUpsert()", () => {
  it("inserts new rows and updates rows on the key, over more rows than one statement takes", async () => {
    const db = await table();
    const up = rowsUpsert(db, "m", ["agent_id", "probe", "t", "count", "sketch"], ["agent_id", "probe", "t"]);
    const n = ROWS_PER_STATEMENT * 2 + 5;
    for (let i = 0; i < n; i++) up.add([`a${i % 7}`, `p${i}`, 60_000, i, new Uint8Array([i & 255, 1])]);
    assert.equal(up.flush(), n);
    assert.equal(up.flush(), 0, "flushed rows are forgotten");
    // The same keys again, and the same key twice in one statement: the later row wins.
    up.add(["a0", "p0", 60_000, 1000, new Uint8Array([9])]);
    up.add(["a0", "p0", 60_000, 1001, new Uint8Array([8])]);
    up.add(["a1", "p1", 120_000, 5, new Uint8Array([7])]);
    assert.equal(up.flush(), 3);
    assert.equal(Number(db.prepare("SELECT count(*) AS c FROM m").get()!.c), n + 1);
    const r = db.prepare("SELECT count, sketch FROM m WHERE agent_id = 'a0' AND probe = 'p0' AND t = 60000").get()!;
    assert.equal(Number(r.count), 1001);
    assert.deepEqual([...(r.sketch as Uint8Array)], [8]);
    const last = db.prepare("SELECT count, sketch FROM m WHERE probe = ?").get(`p${n - 1}`)!;
    assert.equal(Number(last.count), n - 1);
    assert.deepEqual([...(last.sketch as Uint8Array)], [(n - 1) & 255, 1]);
    db.close();
  });

  it("discards queued rows, and refuses a row of the wrong width or a key it does not have", async () => {
    const db = await table();
    const up = rowsUpsert(db, "m", ["agent_id", "probe", "t", "count", "sketch"], ["agent_id", "probe", "t"]);
    up.add(["a", "p", 1, 1, new Uint8Array()]);
    up.discard();
    assert.equal(up.flush(), 0);
    assert.throws(() => up.add(["a", "p", 1]), /^RangeError: Cannot upsert into m: 3 values for 5 columns$/);
    assert.throws(() => rowsUpsert(db, "m", ["agent_id", "count"], ["minute"]), /^RangeError: Cannot upsert into m: key column minute is not one of agent_id, count$/);
    assert.equal(Number(db.prepare("SELECT count(*) AS c FROM m").get()!.c), 0);
    db.close();
  });
});
