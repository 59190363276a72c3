import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QUARANTINE_FILES, quarantineBatch, refusalReason } from "./uplink_quarantine.ts";

describe("refusalReason()", () => {
  it("takes the last segment of the problem+json type, else http-<status>", () => {
    assert.equal(refusalReason(400, JSON.stringify({ type: "https://edgeprobe.dev/problems/malformed-batch", status: 400 })), "malformed-batch");
    assert.equal(refusalReason(403, JSON.stringify({ type: "forbidden-agent" })), "forbidden-agent");
    assert.equal(refusalReason(400, "<html>bad</html>"), "http-400");
    assert.equal(refusalReason(400, JSON.stringify({ type: "https://x/" })), "http-400");
    assert.equal(refusalReason(403, JSON.stringify({ type: "https://x/a b\"c" })), "abc", "only safe characters reach a label and a file name");
  });
});

describe("quarantineBatch()", () => {
  it("keeps the refused body and at most QUARANTINE_FILES files, the oldest going first", () => {
    const dir = join(fs.mkdtempSync(join(tmpdir(), "ep-q-")), "quarantine");
    const first = quarantineBatch(dir, { bootId: "b/1", first: 1, last: 5, reason: "malformed-batch" }, Uint8Array.of(1, 2, 3))!;
    assert.equal(first, join(dir, "b1-1-5-malformed-batch.cbor"));
    assert.deepEqual([...fs.readFileSync(first)], [1, 2, 3]);
    for (let i = 1; i <= QUARANTINE_FILES + 3; i++) quarantineBatch(dir, { bootId: "b", first: i * 10, last: i * 10 + 9, reason: "x" }, Uint8Array.of(i));
    const left = fs.readdirSync(dir);
    assert.equal(left.length, QUARANTINE_FILES);
    assert.ok(left.includes(`b-${(QUARANTINE_FILES + 3) * 10}-${(QUARANTINE_FILES + 3) * 10 + 9}-x.cbor`));
    assert.ok(!left.includes("b-10-19-x.cbor") && !left.includes("b-20-29-x.cbor"), "the oldest went first");
  });

  it("returns undefined when the disk refuses, without throwing", () => {
    const file = join(fs.mkdtempSync(join(tmpdir(), "ep-q-")), "file");
    fs.writeFileSync(file, "");
    assert.equal(quarantineBatch(join(file, "quarantine"), { bootId: "b", first: 1, last: 1, reason: "x" }, Uint8Array.of(1)), undefined);
  });
});
