import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { duration, parseByteSize, parseDuration } from "./duration.ts";

describe("parseDuration()", () => {
  it("reads ms, s, m and h", () => {
    assert.equal(parseDuration("250ms"), 250);
    assert.equal(parseDuration("5s"), 5000);
    assert.equal(parseDuration("1.5m"), 90_000);
    assert.equal(parseDuration("1h"), 3_600_000);
  });
  it("refuses words and missing units", () => {
    assert.equal(parseDuration("5 sec"), undefined);
    assert.equal(parseDuration("5"), undefined);
    assert.equal(parseDuration(""), undefined);
  });
  it("the zod field names the bad value", () => {
    const r = duration.safeParse("5 sec");
    assert.equal(r.success, false);
    assert.match(r.error!.issues[0].message, /expected a duration such as 5s, got "5 sec"/);
  });
});

describe("parseByteSize()", () => {
  it("reads binary units", () => {
    assert.equal(parseByteSize("64MiB"), 64 * 1024 * 1024);
    assert.equal(parseByteSize("512KiB"), 512 * 1024);
    assert.equal(parseByteSize("1000"), 1000);
    assert.equal(parseByteSize("lots"), undefined);
  });
});
