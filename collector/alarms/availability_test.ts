import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { availabilityCsv, computeAvailability, periods } from "./availability.ts";
import { maintenanceInputSchema, newWindow } from "./maintenance.ts";
import type { AlarmRecord } from "./types.ts";

const D = Date.UTC(2026, 10, 1);
const H = 3_600_000;
const probes = [
  { name: "smf-n4", kind: "pfcp", target: "10.0.4.1:8805", critical: true, interface: "N4" },
  { name: "dns", kind: "dns", target: "10.0.0.53:53", critical: false },
];
const alarm = (probe: string, start: number, end: number | undefined, iface?: string): AlarmRecord => ({
  alarmId: `${probe}-${start}`, key: `probe|upf-1|${probe}`, kind: "probe-unhealthy", node: "upf-1", probe, ...(iface ? { interface: iface } : {}),
  objectInstance: "x", alarmType: "COMMUNICATIONS_ALARM", probableCause: "RESPONSE_TIME_EXCESSIVE", specificProblem: `${probe}: timeout`,
  labels: {}, notificationId: 1, alarmRaisedTime: start, ...(end !== undefined ? { alarmClearedTime: end } : {}),
  perceivedSeverity: end === undefined ? "MAJOR" : "CLEARED", ackState: "UNACKNOWLEDGED", correlatedNotifications: [], rootCauseIndicator: false, maintenance: false,
});

describe("availability", () => {
  it("UTC days and months", () => {
    assert.deepEqual(periods(D + 12 * H, D + 36 * H, "day").map((p) => p.label), ["2026-11-01", "2026-11-02"]);
    assert.deepEqual(periods(D, Date.UTC(2027, 0, 5), "month").map((p) => p.label), ["2026-11", "2026-12", "2027-01"]);
  });

  it("per node (critical probes), probe and interface, with outages, causes and MTTR; maintenance left out", () => {
    const w = newWindow(maintenanceInputSchema.parse({ name: "m", nodes: ["upf-1"], start: D + 10 * H, end: D + 12 * H }), "w", "ops", D);
    const r = computeAvailability({
      node: "upf-1", from: D, to: D + 48 * H, by: "day", now: D + 100 * H, labels: {}, windows: [w], probes,
      alarms: [
        alarm("smf-n4", D + H, D + 2 * H, "N4"), // 1 h outage
        alarm("smf-n4", D + 11 * H, D + 13 * H, "N4"), // half inside maintenance: 1 h counts
        alarm("dns", D + 5 * H, D + 6 * H), // non-critical: not a node outage
        alarm("smf-n4", D + 47 * H, undefined, "N4"), // still open at the end of the report
      ],
    });
    const node = r.subjects.find((s) => s.subject === "node")!;
    const [d1, d2] = node.periods;
    assert.equal(d1.measuredMs, 22 * H);
    assert.equal(d1.downMs, 2 * H);
    assert.equal(d1.availability, Math.round(100_000 * 20 / 22) / 1000);
    assert.equal(d1.outages.length, 2);
    assert.equal(d1.mttrMs, H);
    assert.match(d1.outages[0].cause, /^smf-n4: RESPONSE_TIME_EXCESSIVE/);
    assert.equal(d2.downMs, H);
    assert.equal(d2.outages[0].open, true);
    assert.equal(d2.mttrMs, null, "an open outage has no repair time yet");
    assert.equal(r.subjects.find((s) => s.subject === "probe:dns")!.periods[0].downMs, H);
    assert.equal(r.subjects.find((s) => s.subject === "interface:N4")!.periods[0].downMs, 2 * H);
    const csv = availabilityCsv(r);
    const lines = csv.trimEnd().split("\r\n");
    assert.equal(lines[0], "node,subject,period,availability_pct,measured_s,down_s,outages,mttr_s,causes");
    assert.equal(lines[1], `upf-1,node,2026-11-01,${d1.availability},79200,7200,2,3600,smf-n4: RESPONSE_TIME_EXCESSIVE (smf-n4: timeout)`);
  });
});
