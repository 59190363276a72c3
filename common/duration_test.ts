import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { boundedDuration, duration, formatDuration, MAX_TIMER_MS, parseByteSize, parseDuration } from "./duration.ts";

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

describe("boundedDuration()", () => {
  it("accepts the range and names the bound and the value outside it", () => {
    const d = boundedDuration({ min: 10, max: 3_600_000 });
    assert.equal(d.parse("1h"), 3_600_000);
    assert.equal(d.parse(10), 10);
    assert.match(d.safeParse("61m").error!.issues[0].message, /^must be at most 1h, got 61m$/);
    assert.match(d.safeParse("5ms").error!.issues[0].message, /^must be at least 10ms, got 5ms$/);
  });
  it("never allows more than a timer holds (2^31-1 ms)", () => {
    const d = boundedDuration({ max: Number.MAX_SAFE_INTEGER });
    assert.equal(d.safeParse(MAX_TIMER_MS).success, true);
    assert.equal(d.safeParse(MAX_TIMER_MS + 1).success, false);
    assert.equal(d.safeParse("600h").success, false);
  });
  it("formatDuration() writes the largest whole unit", () => {
    assert.deepEqual([formatDuration(250), formatDuration(5000), formatDuration(90_000), formatDuration(7_200_000)], ["250ms", "5s", "90s", "2h"]);
  });
});
