import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { openSpool, type SpoolOptions } from "./spool.ts";

const tmp = () => fs.mkdtempSync(join(tmpdir(), "ep-spool-"));
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const opts = (dir: string, extra: Partial<SpoolOptions> = {}): SpoolOptions => ({ dir, maxBytes: 1 << 20, agentId: "a1", bootId: "boot1", ...extra });
const segs = (dir: string) => fs.readdirSync(dir).filter((n) => n.startsWith("seg-")).sort();

describe("openSpool()", () => {
  it("appends, peeks from the head, and releases on ack", () => {
    const dir = tmp();
    const s = openSpool(opts(dir));
    for (let i = 1; i <= 5; i++) assert.equal(s.append(enc(`r${i}`)), i);
    const b = s.peek(3)!;
    assert.equal(b.bootId, "boot1");
    assert.deepEqual(b.records.map((r) => [r.seq, dec(r.payload)]), [[1, "r1"], [2, "r2"], [3, "r3"]]);
    s.ack("boot1", 3);
    assert.deepEqual(s.peek(10)!.records.map((r) => r.seq), [4, 5]);
    assert.equal(s.stats().records, 2);
    s.close();
  });

  it("keeps unacknowledged records across a reopen and starts a new boot's stream after them", () => {
    const dir = tmp();
    const s = openSpool(opts(dir));
    for (let i = 1; i <= 4; i++) s.append(enc(`r${i}`));
    s.ack("boot1", 2);
    s.close();
    const s2 = openSpool(opts(dir, { bootId: "boot2" }));
    assert.equal(s2.append(enc("new1")), 1);
    const b = s2.peek(10)!;
    assert.equal(b.bootId, "boot1", "the old boot's records go first");
    assert.deepEqual(b.records.map((r) => dec(r.payload)), ["r3", "r4"]);
    s2.ack("boot1", 4);
    const b2 = s2.peek(10)!;
    assert.equal(b2.bootId, "boot2");
    assert.deepEqual(b2.records.map((r) => [r.seq, dec(r.payload)]), [[1, "new1"]]);
    assert.equal(segs(dir).length, 1, "the fully acked segment of boot1 is deleted");
    s2.close();
  });

  it("cuts a torn tail (a half-written frame after SIGKILL) and keeps every whole record", () => {
    const dir = tmp();
    const s = openSpool(opts(dir));
    for (let i = 1; i <= 10; i++) s.append(enc(`record-${i}`));
    s.close();
    const path = join(dir, segs(dir)[0]);
    const size = fs.statSync(path).size;
    fs.truncateSync(path, size - 3);
    const logs: string[] = [];
    const s2 = openSpool(opts(dir, { bootId: "boot2", log: (_l, m) => void logs.push(m) }));
    assert.equal(s2.stats().repairedFrames, 1);
    assert.ok(logs.some((m) => m.includes("torn")));
    assert.deepEqual(s2.peek(100)!.records.map((r) => r.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    s2.append(enc("after"));
    s2.close();
  });

  it("cuts at a frame whose crc does not match, and survives garbage appended to a segment", () => {
    const dir = tmp();
    const s = openSpool(opts(dir));
    for (let i = 1; i <= 6; i++) s.append(enc(`rec${i}`));
    s.close();
    const path = join(dir, segs(dir)[0]);
    const buf = fs.readFileSync(path);
    buf[buf.length - 1] ^= 0xff; // last record's payload flipped
    fs.writeFileSync(path, Buffer.concat([buf, Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2])]));
    const s2 = openSpool(opts(dir, { bootId: "b2" }));
    assert.deepEqual(s2.peek(100)!.records.map((r) => r.seq), [1, 2, 3, 4, 5]);
    s2.close();
  });

  it("drops whole oldest segments when full, counts them and tells onDrop", () => {
    const dir = tmp();
    const drops: number[] = [];
    const s = openSpool(opts(dir, { maxBytes: 64 * 1024, segmentBytes: 8 * 1024, onDrop: (r) => void drops.push(r) }));
    const payload = new Uint8Array(100);
    for (let i = 0; i < 2000; i++) s.append(payload);
    const st = s.stats();
    assert.ok(st.bytes <= 64 * 1024, `${st.bytes} bytes on disk`);
    assert.ok(st.droppedRecords > 0);
    assert.equal(drops.reduce((a, b) => a + b, 0), st.droppedRecords);
    assert.equal(st.records + st.droppedRecords, 2000, "every record is either pending or counted as dropped");
    const b = s.peek(10_000)!;
    assert.equal(b.records[b.records.length - 1].seq, 2000);
    assert.equal(b.records.length, st.records);
    s.close();
  });

  it("persists the ack pointer so a reopen does not resend acknowledged records", () => {
    const dir = tmp();
    const s = openSpool(opts(dir, { segmentBytes: 4096 }));
    for (let i = 1; i <= 500; i++) s.append(enc(`r${i}`));
    s.ack("boot1", 321);
    s.close();
    const s2 = openSpool(opts(dir, { bootId: "boot2" }));
    assert.equal(s2.peek(1)!.records[0].seq, 322);
    assert.equal(s2.stats().records, 179);
    s2.close();
  });

  it("waitForRecords() resolves on append and rejects on abort", async () => {
    const s = openSpool(opts(tmp()));
    const ac = new AbortController();
    const p = s.waitForRecords(ac.signal);
    s.append(enc("x"));
    await p;
    s.ack("boot1", 1);
    const p2 = s.waitForRecords(ac.signal);
    ac.abort(new Error("stop"));
    await assert.rejects(p2, /stop/);
    s.close();
  });

  it("reopens after a cut or a corrupted byte anywhere in a segment with a prefix of the records (property)", () => {
    const dir = tmp();
    const s0 = openSpool(opts(dir, { segmentBytes: 1 << 20 }));
    for (let i = 1; i <= 40; i++) s0.append(enc(`record-${i}-${"x".repeat(i % 7)}`));
    s0.close();
    const path = join(dir, segs(dir)[0]);
    const pristine = fs.readFileSync(path);
    fc.assert(fc.property(fc.nat(pristine.length), fc.option(fc.tuple(fc.nat(pristine.length - 1), fc.integer({ min: 1, max: 255 }))), (cut, flip) => {
      const d = tmp();
      const bytes = Buffer.from(pristine.subarray(0, cut));
      if (flip && flip[0] < bytes.length) bytes[flip[0]] ^= flip[1];
      fs.writeFileSync(join(d, segs(dir)[0]), bytes);
      const s = openSpool(opts(d, { bootId: "b2" }));
      const seqs = s.peek(1000)?.records.map((r) => r.seq) ?? [];
      assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, k) => k + 1), "a prefix 1..n of the records");
      for (const r of s.peek(1000)?.records ?? []) assert.match(dec(r.payload), new RegExp(`^record-${r.seq}-`));
      s.append(enc("after"));
      s.close();
      fs.rmSync(d, { recursive: true, force: true });
    }), { numRuns: 150 });
  });

  it("a segment that cannot be created is a counted drop with a pause, then a spool-drop report once the disk takes writes again", () => {
    const dir = tmp();
    let t = 1000;
    const drops: [number, number][] = [];
    const logs: string[] = [];
    const s = openSpool(opts(dir, { now: () => t, retry: { initialMs: 100, maxMs: 400 }, onDrop: (r, b) => void drops.push([r, b]), log: (_l, m) => void logs.push(m) }));
    // The first segment's name is taken by a directory: creating it fails with EEXIST.
    fs.mkdirSync(join(dir, "seg-000000000001.log"));
    assert.equal(s.append(enc("lost-1")), 1);
    assert.equal(s.stats().fault?.error, "EEXIST");
    assert.equal(s.append(enc("lost-2")), 2, "paused: counted without touching the disk");
    assert.equal(s.stats().droppedRecords, 2);
    assert.equal(s.stats().faultRecords, 2);
    assert.equal(logs.filter((m) => m.includes("refuses writes")).length, 1, "one log line per episode");
    assert.equal(s.peek(10), undefined);
    assert.equal(drops.length, 0, "no report while nothing can be written");
    t += 100; // retry: segment 1 is still taken, segment 2 is free
    assert.equal(s.append(enc("kept-3")), 3);
    assert.equal(s.stats().fault, undefined);
    assert.ok(logs.some((m) => m.includes("takes writes again")));
    assert.deepEqual(drops.map(([r]) => r), [2], "told once, after the first good append");
    assert.deepEqual(s.peek(10)!.records.map((r) => [r.seq, dec(r.payload)]), [[3, "kept-3"]]);
    s.close();
  });

  it("a segment cut from outside while open is a drop of its unreadable records, never a wedge", () => {
    const dir = tmp();
    const s = openSpool(opts(dir));
    for (let i = 1; i <= 6; i++) s.append(enc(`record-${i}`));
    const path = join(dir, segs(dir)[0]);
    fs.truncateSync(path, fs.statSync(path).size - 30);
    const b = s.peek(100)!;
    assert.deepEqual(b.records.map((r) => r.seq), [1, 2, 3, 4]);
    assert.equal(s.stats().droppedRecords, 2);
    s.ack("boot1", 4);
    assert.equal(s.peek(100), undefined);
    assert.equal(s.append(enc("after")), 7, "appends go on, in a new segment");
    assert.deepEqual(s.peek(100)!.records.map((r) => r.seq), [7]);
    assert.equal(segs(dir).length, 1, "the cut segment is released with its last ack");
    s.close();
  });

  it("counts a torn tail found at open as a dropped record and reports it after the first append", () => {
    const dir = tmp();
    const s = openSpool(opts(dir));
    for (let i = 1; i <= 3; i++) s.append(enc(`r${i}`));
    s.close();
    const path = join(dir, segs(dir)[0]);
    fs.truncateSync(path, fs.statSync(path).size - 1);
    const drops: number[] = [];
    const s2 = openSpool(opts(dir, { bootId: "boot2", onDrop: (r) => void drops.push(r) }));
    assert.equal(s2.stats().droppedRecords, 1);
    s2.append(enc("x"));
    assert.deepEqual(drops, [1]);
    s2.close();
  });

  it("opens on a read-only or missing ack pointer, and a file where the directory should be is a clear error", () => {
    const dir = tmp();
    const file = join(dir, "not-a-dir");
    fs.writeFileSync(file, "x");
    assert.throws(() => openSpool(opts(file)), /^Error: Cannot open spool: cannot create .*not-a-dir \(EEXIST\)$/);
  });

  it("countDropped() (a quarantined batch) is reported like any other drop", () => {
    const dir = tmp();
    const drops: number[] = [];
    const s = openSpool(opts(dir, { onDrop: (r) => void drops.push(r) }));
    s.append(enc("a"));
    s.countDropped(5, 500);
    s.append(enc("b"));
    assert.deepEqual(drops, [5]);
    assert.equal(s.stats().droppedRecords, 5);
    s.countDropped(3, 0, true);
    assert.equal(s.append(enc("c")), 6, "unsequenced drops skip their seqs: the gap is the count reported");
    assert.equal(s.stats().droppedRecords, 8);
    s.close();
  });
});
