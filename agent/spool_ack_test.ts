import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ackPath, readAckPointer, writeAckPointer } from "./spool_ack.ts";

const tmp = () => fs.mkdtempSync(join(tmpdir(), "ep-ack-"));

describe("ack pointer", () => {
  it("round-trips and leaves no temp file", () => {
    const dir = tmp();
    assert.equal(readAckPointer(dir), undefined);
    writeAckPointer(dir, { segNo: 3, bootId: "b", seq: 41 });
    writeAckPointer(dir, { segNo: 4, bootId: "b", seq: 42 });
    assert.deepEqual(readAckPointer(dir), { segNo: 4, bootId: "b", seq: 42 });
    assert.deepEqual(fs.readdirSync(dir), ["ack.json"]);
  });

  it("a torn or foreign pointer reads as none", () => {
    const dir = tmp();
    fs.writeFileSync(ackPath(dir), '{"segNo":1,"bootId":"b","se');
    assert.equal(readAckPointer(dir), undefined);
    fs.writeFileSync(ackPath(dir), '{"segNo":"1","bootId":"b","seq":1}');
    assert.equal(readAckPointer(dir), undefined);
  });

  it("a write into a directory that is gone throws a sentence with the errno and the path", () => {
    const dir = join(tmp(), "gone");
    assert.throws(() => writeAckPointer(dir, { segNo: 1, bootId: "b", seq: 1 }), /^Error: Cannot persist spool ack: ENOENT on .*gone\/ack\.json$/);
  });
});
