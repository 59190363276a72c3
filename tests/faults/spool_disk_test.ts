/**
 * The spool on a disk that fills up (a real tmpfs, ENOSPC), under a file-size limit (RLIMIT_FSIZE:
 * short writes, then EFBIG) and on a disk remounted read-only mid-run (EROFS): every record the
 * spool accepted reads back intact, every other one is counted, and nothing wedges.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSpool, type Spool } from "../../agent/spool.ts";
import { mountTmpfs, type Tmpfs, tmpfsUnavailable } from "./_tmpfs.ts";

const skip = tmpfsUnavailable();
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const HERE = new URL(".", import.meta.url).pathname;
const BUN = join(HERE, "../../node_modules/.bin/bun");

/** Every record in the spool decodes to the text it was appended with. */
function assertIntact(s: Spool, text: (seq: number) => string): number[] {
  const recs = s.peek(1_000_000)?.records ?? [];
  for (const r of recs) assert.equal(dec(r.payload), text(r.seq), `record ${r.seq} intact`);
  return recs.map((r) => r.seq);
}

describe("spool on a disk that fills, refuses, or limits file size", { skip }, () => {
  let fsys: Tmpfs;
  before(() => (fsys = mountTmpfs(128 * 1024)));
  after(() => fsys?.unmount());

  it("a full tmpfs: records past the full point are counted drops; freeing space resumes and reports them", () => {
    let t = 0;
    const drops: number[] = [];
    const dir = join(fsys.dir, "full");
    const s = openSpool({ dir, maxBytes: 8 << 20, segmentBytes: 16 * 1024, agentId: "a1", bootId: "b1", now: () => t, retry: { initialMs: 10, maxMs: 10 }, onDrop: (r) => void drops.push(r) });
    const text = (seq: number) => `rec-${seq}-${"y".repeat(200)}`;
    let seq = 0;
    while (s.stats().faultRecords === 0 && seq < 5000) seq = s.append(enc(text(seq + 1)));
    assert.ok(seq < 5000, "the disk filled");
    assert.equal(s.stats().fault?.error, "ENOSPC");
    for (let i = 0; i < 20; i++) seq = s.append(enc(text(seq + 1)));
    const st = s.stats();
    const kept = assertIntact(s, text);
    assert.equal(kept.length + st.droppedRecords, seq, "every record is either intact in the spool or counted");
    assert.equal(st.records, kept.length);
    // The collector acknowledges everything: whole segments are deleted and the disk has room.
    s.ack("b1", seq);
    t += 10;
    seq = s.append(enc(text(seq + 1)));
    assert.equal(s.stats().fault, undefined, "writing again");
    assert.deepEqual(drops, [st.droppedRecords], "the loss is told once, after the first good append");
    assert.deepEqual(assertIntact(s, text), [seq]);
    s.close();
  });

  it("the spool directory replaced by a file mid-run (ENOTDIR): appends pause, sending and acks go on, writes resume once it is back", () => {
    // Root bypasses file modes and a tmpfs with files open for writing cannot be remounted
    // read-only (EBUSY), so "unwritable mid-run" is the directory moved away and a file in its place.
    let t = 0;
    const dir = join(fsys.dir, "moved");
    const s = openSpool({ dir, maxBytes: 1 << 20, segmentBytes: 4096, agentId: "a1", bootId: "b2", now: () => t, retry: { initialMs: 10, maxMs: 10 } });
    const text = (seq: number) => `r${seq}-${"z".repeat(100)}`;
    let seq = 0;
    for (let i = 0; i < 10; i++) seq = s.append(enc(text(seq + 1)));
    fs.renameSync(dir, `${dir}.away`);
    fs.writeFileSync(dir, "not a directory");
    // The open tail segment (now under .away) takes records until it is full; then no new segment can be made.
    for (let i = 0; i < 60; i++) seq = s.append(enc(text(seq + 1)));
    assert.equal(s.stats().fault?.error, "ENOTDIR");
    const lost = s.stats().droppedRecords;
    assert.ok(lost > 0);
    // The closed segment cannot be read while its directory is away: nothing is sent, nothing dropped.
    assert.equal(s.peek(100), undefined);
    assert.equal(s.stats().droppedRecords, lost);
    fs.rmSync(dir);
    fs.renameSync(`${dir}.away`, dir);
    const kept = assertIntact(s, text);
    assert.equal(kept.length + lost, seq, "every record is intact or counted");
    s.ack("b2", kept[2]);
    assert.equal(s.peek(1)!.records[0].seq, kept[3]);
    t += 10;
    seq = s.append(enc(text(seq + 1)));
    assert.equal(s.stats().fault, undefined);
    s.ack("b2", kept.at(-1)!);
    assert.deepEqual(assertIntact(s, text), [seq], "after the gap of the lost records");
    s.close();
    const s2 = openSpool({ dir, maxBytes: 1 << 20, agentId: "a1", bootId: "b3" });
    assert.equal(s2.stats().repairedFrames, 0, "nothing torn on disk");
    s2.close();
  });

  it("a spool directory on a disk that is read-only at start opens, keeps its old records sendable, and counts new ones", () => {
    const dir = join(fsys.dir, "ro-start");
    const s0 = openSpool({ dir, maxBytes: 1 << 20, agentId: "a1", bootId: "old" });
    for (let i = 1; i <= 3; i++) s0.append(enc(`old${i}`));
    s0.close();
    const path = join(dir, fs.readdirSync(dir).find((n) => n.startsWith("seg-"))!);
    fs.appendFileSync(path, Uint8Array.of(0, 0, 0)); // a torn tail that cannot be cut once read-only
    fsys.readOnly();
    try {
      const s = openSpool({ dir, maxBytes: 1 << 20, agentId: "a1", bootId: "new" });
      assert.equal(s.stats().repairedFrames, 1);
      assert.deepEqual(s.peek(10)!.records.map((r) => dec(r.payload)), ["old1", "old2", "old3"]);
      s.append(enc("n1"));
      assert.equal(s.stats().fault?.error, "EROFS");
      s.close();
    } finally {
      fsys.readWrite();
    }
  });
});

describe("spool under a file-size limit (RLIMIT_FSIZE via prlimit)", () => {
  it("short writes and EFBIG are cut back, the next record goes to a new segment, and a restart finds no torn frame", () => {
    const dir = fs.mkdtempSync(join(tmpdir(), "ep-fsize-"));
    // 4096-byte segments under a 3000-byte file limit: every segment fills short of its size.
    const run = (boot: string) => JSON.parse(execFileSync("prlimit", ["--fsize=3000", BUN, join(HERE, "_spool_writer.ts"), dir, "100", boot], { encoding: "utf8" }));
    const r = run("b1");
    for (const p of r.peeked) assert.match(p.text, new RegExp(`^b1-record-${p.seq}-x{80}$`));
    // A short write at the limit is cut back and the record goes to a fresh segment: nothing lost.
    assert.equal(r.stats.droppedRecords, 0);
    assert.equal(r.peeked.length, 100);
    const files = fs.readdirSync(dir).filter((x) => x.startsWith("seg-"));
    for (const n of files) assert.ok(fs.statSync(join(dir, n)).size <= 3000, `${n} ends at its last whole frame`);
    assert.ok(files.length >= 4, `segments rotated at the limit, not at 4096 bytes (${files.length})`);
    const r2 = run("b2");
    assert.equal(r2.stats.repairedFrames, 0, "no torn tail left behind");
    assert.deepEqual(r2.peeked.slice(0, r.peeked.length).map((p: { text: string }) => p.text), r.peeked.map((p: { text: string }) => p.text));
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
