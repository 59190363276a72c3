import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { isoFromNtpSeconds, ntpSecondsFromUnixMs } from "./recovery_time_stamp.ts";

describe("ntpSecondsFromUnixMs()", () => {
  it("adds the 1900→1970 offset (RFC 5905 §6)", () => {
    assert.equal(ntpSecondsFromUnixMs(0), 2208988800);
    assert.equal(ntpSecondsFromUnixMs(Date.UTC(2026, 0, 1)), 3976214400);
  });
  it("wraps modulo 2^32 after era 0 ends (2036-02-07T06:28:16Z)", () => {
    assert.equal(ntpSecondsFromUnixMs(Date.UTC(2036, 1, 7, 6, 28, 16)), 0);
  });
});

describe("isoFromNtpSeconds()", () => {
  it("reads docs/protocols.md A1's response value 0xeeb00432 as its capture day", () => {
    assert.equal(isoFromNtpSeconds(0xeeb00432, Date.UTC(2026, 10, 1)), "2026-11-24T12:40:18Z");
  });
  it("picks era 1 for small values near 2036", () => {
    assert.equal(isoFromNtpSeconds(10, Date.UTC(2036, 1, 8)), "2036-02-07T06:28:26Z");
  });
});
