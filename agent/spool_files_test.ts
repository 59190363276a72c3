import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeSegment, createSegment, loadSegments, readRange, type Segment, SpoolWriteError, writeFrame } from "./spool_files.ts";
import { encodeFrame } from "./spool_frame.ts";

const tmp = () => fs.mkdtempSync(join(tmpdir(), "ep-files-"));
const enc = (s: string) => new TextEncoder().encode(s);
const H = { agentId: "a1", bootId: "b1" };

describe("spool segment files", () => {
  it("creates a segment with its header, appends positionally and loads it back", () => {
    const dir = tmp();
    const s = createSegment(dir, 7, H, false);
    const f1 = encodeFrame(1, enc("one"));
    writeFrame(s, f1, false);
    s.offsets.push(s.bytes), s.seqs.push(1), s.bytes += f1.length;
    closeSegment(s);
    const { segments, repairedFrames } = loadSegments(dir, () => {});
    assert.equal(repairedFrames, 0);
    assert.deepEqual(segments.map((x) => [x.segNo, x.bootId, x.seqs, x.bytes]), [[7, "b1", [1], s.bytes]]);
    assert.deepEqual([...readRange(segments[0], segments[0].offsets[0], segments[0].bytes)], [...f1]);
  });

  it("a write the disk refuses (ENOSPC from /dev/full) throws a SpoolWriteError naming the errno and leaves the segment as it was", () => {
    const seg: Segment = { segNo: 1, path: "/dev/full", agentId: "a", bootId: "b", offsets: [], seqs: [], bytes: 0, fd: fs.openSync("/dev/full", "w") };
    try {
      assert.throws(() => writeFrame(seg, encodeFrame(1, enc("x")), false), (e: unknown) => {
        assert.ok(e instanceof SpoolWriteError);
        assert.equal(e.code, "ENOSPC");
        assert.equal(e.clean, true, "nothing was written, nothing to cut");
        assert.match(e.message, /^Cannot append to spool: ENOSPC writing \/dev\/full after 0 of 17 bytes$/);
        return true;
      });
      assert.equal(seg.bytes, 0);
    } finally {
      closeSegment(seg);
    }
  });

  it("a closed segment is a SpoolWriteError, not a crash", () => {
    const seg: Segment = { segNo: 1, path: "/x", agentId: "a", bootId: "b", offsets: [], seqs: [], bytes: 0 };
    assert.throws(() => writeFrame(seg, encodeFrame(1, enc("x")), false), /is closed/);
  });

  it("createSegment fails cleanly when the name is taken (EEXIST) or the directory is gone (ENOENT)", () => {
    const dir = tmp();
    fs.mkdirSync(join(dir, "seg-000000000003.log"));
    assert.throws(() => createSegment(dir, 3, H, false), (e: unknown) => e instanceof SpoolWriteError && e.code === "EEXIST");
    assert.throws(() => createSegment(join(dir, "nope"), 1, H, false), (e: unknown) => e instanceof SpoolWriteError && e.code === "ENOENT");
  });

  it("loading cuts a torn tail and counts its bytes; removes a headerless segment; a missing dir is a sentence", () => {
    const dir = tmp();
    const s = createSegment(dir, 1, H, false);
    const f = encodeFrame(1, enc("whole"));
    writeFrame(s, f, false);
    closeSegment(s);
    fs.appendFileSync(s.path, encodeFrame(2, enc("torn")).subarray(0, 9));
    fs.writeFileSync(join(dir, "seg-000000000002.log"), "garbage");
    const logs: string[] = [];
    const l = loadSegments(dir, (_lvl, m) => void logs.push(m));
    assert.equal(l.repairedFrames, 1);
    assert.equal(l.repairedBytes, 9);
    assert.deepEqual(l.segments.map((x) => x.seqs), [[1]]);
    assert.equal(fs.statSync(s.path).size, s.bytes + f.length);
    assert.ok(!fs.existsSync(join(dir, "seg-000000000002.log")));
    assert.ok(logs.some((m) => m.includes("torn")) && logs.some((m) => m.includes("without a valid header")));
    assert.throws(() => loadSegments(join(dir, "nope"), () => {}), /^Error: Cannot open spool: cannot list .*nope \(ENOENT\)$/);
  });
});
