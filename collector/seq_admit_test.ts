import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { admitSeqs, type StreamSeq } from "./seq_admit.ts";
import type { TelemetryRecord } from "../telemetry/record.ts";

const probes = (first: number, n: number): TelemetryRecord[] =>
  Array.from({ length: n }, (_, i) => ({ seq: first + i, type: "probe", at: 0, probe: "n4", kind: "pfcp", ok: true, latencyUs: 1 }) as TelemetryRecord);
const drop = (seq: number, records: number) => ({ seq, type: "spool-drop", at: 0, records, bytes: records * 10 }) as TelemetryRecord;
const seqs = (rs: readonly TelemetryRecord[]) => [rs[0]?.seq, rs[rs.length - 1]?.seq];
const START: StreamSeq = { acked: 0, drops: 0, gaps: 0 };

describe("admitSeqs()", () => {
  it("contiguous batches: new records after the ack, replays are duplicates", () => {
    const a = admitSeqs(probes(1, 10), START);
    assert.deepEqual([a.ack, a.duplicates, a.gap, a.fresh.length], [10, 0, 0, 10]);
    const b = admitSeqs(probes(5, 10), a.next);
    assert.deepEqual([b.ack, b.duplicates, seqs(b.fresh)], [14, 6, [11, 14]]);
  });
  it("a jump with the spool-drop report in the same batch is a gap", () => {
    const a = admitSeqs([...probes(301, 10), drop(311, 300)], START);
    assert.deepEqual([a.ack, a.gap, a.unaccountedJump, a.next.hole], [311, 300, false, undefined]);
  });
  it("a jump before its spool-drop report (the agent appends it at the tail) leaves a hole that the report closes", () => {
    const a = admitSeqs(probes(301, 500), START);
    assert.deepEqual([a.ack, a.gap, a.unaccountedJump, a.next.hole], [800, 0, true, { from: 1, to: 300 }]);
    const b = admitSeqs([...probes(801, 199), drop(1000, 300)], a.next);
    assert.deepEqual([b.ack, b.gap, b.next.hole, b.next.gaps], [1000, 300, undefined, 300]);
  });
  it("ack poisoning: after a jump to 2^40 the victim's own records fill the hole, once each", () => {
    const victim = admitSeqs(probes(1, 100), START).next;
    const attack = admitSeqs(probes(2 ** 40, 1), victim);
    assert.equal(attack.next.acked, 2 ** 40);
    assert.deepEqual(attack.next.hole, { from: 101, to: 2 ** 40 - 1 });
    const b1 = admitSeqs(probes(101, 50), attack.next);
    assert.deepEqual([b1.ack, b1.fresh.length, b1.duplicates], [150, 50, 0], "stored and acked up to its own last seq");
    const replay = admitSeqs(probes(101, 50), b1.next);
    assert.deepEqual([replay.fresh.length, replay.duplicates, replay.ack], [0, 50, 150], "a replay of the hole's filled part is a duplicate, acked to the seq before the hole");
    const b2 = admitSeqs(probes(151, 50), b1.next);
    assert.deepEqual([b2.ack, b2.fresh.length, b2.next.hole], [200, 50, { from: 201, to: 2 ** 40 - 1 }]);
  });
  it("a later report covers a partly filled hole from its oldest seqs", () => {
    const a = admitSeqs(probes(101, 10), { acked: 0, drops: 40, gaps: 0 });
    assert.deepEqual([a.gap, a.next.hole], [40, { from: 41, to: 100 }]);
    const b = admitSeqs([...probes(111, 5), drop(116, 70)], a.next);
    assert.deepEqual([b.gap, b.next.hole, b.next.gaps], [30, { from: 71, to: 100 }, 70]);
  });
});
