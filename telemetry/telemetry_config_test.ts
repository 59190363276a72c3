import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { telemetrySchema } from "./telemetry_config.ts";

describe("telemetrySchema", () => {
  it("fills defaults and parses sizes and durations", () => {
    const c = telemetrySchema.parse({ collector: "http://noc.example:9400", token: "t", spool: { dir: "/tmp/s", maxBytes: "1MiB" }, batch: { interval: "250ms" } });
    assert.equal(c.spool.maxBytes, 1024 * 1024);
    assert.equal(c.batch.interval, 250);
    assert.equal(c.batch.maxRecords, 500);
    assert.equal(c.backoff.max, 30_000);
    assert.equal(c.steerEvery, 30_000, "steering hints followed at most every 30 s");
    assert.equal(telemetrySchema.parse({ collector: "http://x", steerEvery: "0s" }).steerEvery, 0, "0s: hints ignored");
  });
  it("rejects an unknown key and a non-http URL", () => {
    assert.equal(telemetrySchema.safeParse({ collector: "http://x", spol: {} }).success, false);
    assert.equal(telemetrySchema.safeParse({ collector: "ftp://x" }).success, false);
  });
});
