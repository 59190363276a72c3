import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { renderUplinkMetrics } from "./uplink_metrics.ts";

describe("renderUplinkMetrics()", () => {
  it("writes spool depth, drops and the uplink state as Prometheus text", () => {
    const text = renderUplinkMetrics({
      state: "backoff", collector: "http://c/api/v1/ingest", bootId: "b", spool: { bytes: 4096, records: 12, segments: 1, droppedRecords: 3, droppedBytes: 300, faultRecords: 1, repairedFrames: 0 },
      lastAck: { bootId: "b", seq: 40 }, sentBatches: 2, sentRecords: 40, failedSends: 5, lostEvents: 0, backoffMs: 1500,
      telemetry: { status: "degraded", reason: "spool-unwritable", error: "ENOSPC" }, rejectedRecords: { "malformed-batch": 7 }, ackProtocolErrors: 2, steers: 1, steersIgnored: 4,
    });
    assert.match(text, /^edgeprobe_telemetry_degraded 1$/m);
    assert.match(text, /^edgeprobe_uplink_rejected_records_total\{reason="malformed-batch"\} 7$/m);
    assert.match(text, /^edgeprobe_uplink_ack_protocol_errors_total 2$/m);
    assert.match(text, /^edgeprobe_spool_records 12$/m);
    assert.match(text, /^edgeprobe_uplink_steers_total 1$/m);
    assert.match(text, /^edgeprobe_uplink_steers_ignored_total 4$/m);
    assert.match(text, /^edgeprobe_spool_dropped_records_total 3$/m);
    assert.match(text, /^edgeprobe_uplink_state\{state="backoff"\} 1$/m);
    assert.match(text, /^edgeprobe_uplink_state\{state="connected"\} 0$/m);
    assert.match(text, /^edgeprobe_uplink_backoff_seconds 1.5$/m);
    for (const line of text.trim().split("\n")) assert.match(line, /^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? [0-9.]+)$/);
  });
});
