import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { openDatabase } from "./sqlite.ts";

describe("openDatabase()", () => {
  it("runs statements with positional parameters and reads rows back, blobs included", async () => {
    const db = await openDatabase(":memory:");
    db.exec("CREATE TABLE t (a TEXT PRIMARY KEY, b INTEGER, c BLOB)");
    db.prepare("INSERT INTO t VALUES (?, ?, ?)").run("x", 2 ** 40, new Uint8Array([1, 2, 3]));
    assert.equal(db.prepare("INSERT OR IGNORE INTO t VALUES (?, ?, ?)").run("x", 1, null).changes, 0);
    const row = db.prepare("SELECT * FROM t WHERE a = ?").get("x")!;
    assert.equal(row.b, 2 ** 40);
    assert.deepEqual(Array.from(row.c as Uint8Array), [1, 2, 3]);
    assert.equal(db.prepare("SELECT * FROM t WHERE a = ?").get("nope"), undefined);
    assert.equal(db.prepare("SELECT count(*) AS n FROM t").all()[0].n, 1);
    db.close();
  });
});
