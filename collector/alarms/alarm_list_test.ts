import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { AlarmList } from "./alarm_list.ts";
import { mapEvent } from "./mapping.ts";
import type { Condition } from "./types.ts";

const ids = () => {
  let i = 0;
  return () => `a${++i}`;
};
const cond = (over: Partial<Condition> = {}): Condition => ({
  key: "probe|upf-1|n4",
  kind: "probe-unhealthy",
  node: "upf-1",
  probe: "n4",
  objectInstance: "node=upf-1,interface=N4,probe=n4",
  alarmType: "COMMUNICATIONS_ALARM",
  probableCause: "RESPONSE_TIME_EXCESSIVE",
  specificProblem: "pfcp n4: timeout",
  severity: "MAJOR",
  ...over,
});

describe("AlarmList", () => {
  it("raises once per condition; the same raise again is no notification", () => {
    const l = new AlarmList({ newId: ids(), labelsOf: () => ({ region: "north" }) });
    const [n] = l.raise(cond(), 1000);
    assert.equal(n.notificationType, "notifyNewAlarm");
    assert.equal(n.notificationId, 1);
    assert.equal(n.alarm.alarmId, "a1");
    assert.equal(n.alarm.perceivedSeverity, "MAJOR");
    assert.equal(n.alarm.ackState, "UNACKNOWLEDGED");
    assert.deepEqual(n.alarm.labels, { region: "north" });
    assert.equal(n.alarm.rootCauseIndicator, false);
    assert.deepEqual(l.raise(cond(), 2000), []);
    assert.equal(l.activeCount(), 1);
  });

  it("a severity change is a change of the same alarm and needs acknowledging again (X.733 §8.1.2.8)", () => {
    const l = new AlarmList({ newId: ids() });
    l.raise(cond(), 1000);
    l.setAck("a1", true, "ops", 1500);
    assert.equal(l.get("a1")!.ackState, "ACKNOWLEDGED");
    const [n] = l.raise(cond({ severity: "CRITICAL" }), 2000);
    assert.equal(n.notificationType, "notifyChangedAlarm");
    assert.equal(n.alarm.alarmId, "a1");
    assert.equal(n.previousSeverity, "MAJOR");
    assert.equal(n.alarm.perceivedSeverity, "CRITICAL");
    assert.equal(n.alarm.alarmChangedTime, 2000);
    assert.equal(n.alarm.ackState, "UNACKNOWLEDGED");
    assert.equal(n.alarm.ackUserId, undefined);
    // A new probable cause at the same severity is a change that keeps the acknowledgement.
    l.setAck("a1", true, "ops", 2100);
    const [m] = l.raise(cond({ severity: "CRITICAL", probableCause: "REMOTE_NODE_TRANSMISSION_ERROR" }), 2200);
    assert.equal(m.notificationType, "notifyChangedAlarm");
    assert.equal(m.alarm.ackState, "ACKNOWLEDGED");
  });

  it("clears, keeps a cleared alarm in the list until acknowledged, and a return is a new alarm", () => {
    const l = new AlarmList({ newId: ids() });
    l.raise(cond(), 1000);
    const [c] = l.clear("probe|upf-1|n4", 5000);
    assert.equal(c.notificationType, "notifyClearedAlarm");
    assert.equal(c.alarm.perceivedSeverity, "CLEARED");
    assert.equal(c.alarm.alarmClearedTime, 5000);
    assert.equal(c.previousSeverity, "MAJOR");
    assert.equal(l.all().length, 1, "cleared and unacknowledged stays listed");
    assert.deepEqual(l.clear("probe|upf-1|n4", 6000), [], "clearing twice is nothing");
    const [r] = l.raise(cond(), 7000);
    assert.equal(r.alarm.alarmId, "a2");
    const [a] = l.setAck("a1", true, "ops", 8000);
    assert.equal(a.notificationType, "notifyAckStateChanged");
    assert.equal(a.alarm.ackUserId, "ops");
    assert.equal(l.get("a1"), undefined, "cleared + acknowledged leaves the list");
    assert.deepEqual(l.all().map((x) => x.alarmId), ["a2"]);
  });

  it("an operator clear records who cleared it; unacknowledge is a notification", () => {
    const l = new AlarmList({ newId: ids() });
    l.raise(cond(), 1000);
    assert.deepEqual(l.setAck("a1", false, "ops", 1100), [], "already unacknowledged");
    l.setAck("a1", true, "ops", 1200);
    const [u] = l.setAck("a1", false, "ops2", 1300);
    assert.equal(u.alarm.ackState, "UNACKNOWLEDGED");
    const [c] = l.clearById("a1", 1400, "ops2");
    assert.equal(c.alarm.clearUserId, "ops2");
    assert.deepEqual(l.clearById("nope", 1500, "x"), []);
  });

  it("keeps a root's correlatedNotifications in step with its children", () => {
    const l = new AlarmList({ newId: ids() });
    l.raise(cond(), 1000);
    l.raise(cond({ key: "probe|upf-2|n4", node: "upf-2", objectInstance: "node=upf-2,probe=n4" }), 1001);
    const [root] = l.raise(cond({ key: "peer|10.0.4.1:8805", kind: "peer-fault", node: undefined, objectInstance: "peer=10.0.4.1:8805", severity: "CRITICAL" }), 1002);
    assert.equal(root.alarm.rootCauseIndicator, true);
    const [n] = l.setParents(new Map([["a1", "a3"], ["a2", "a3"]]), 1003);
    assert.equal(n.notificationType, "notifyCorrelatedNotificationChanged");
    assert.deepEqual(n.alarm.correlatedNotifications.map((c) => c.alarmId), ["a1", "a2"]);
    assert.equal(l.get("a1")!.parentAlarmId, "a3");
    const [m] = l.setParents(new Map([["a1", undefined]]), 1004);
    assert.deepEqual(m.alarm.correlatedNotifications.map((c) => c.alarmId), ["a2"]);
    assert.equal(l.get("a1")!.parentAlarmId, undefined);
  });

  it("restores from persisted records and continues notification ids", () => {
    const l = new AlarmList({ newId: ids() });
    l.raise(cond(), 1000);
    l.raise(cond({ severity: "CRITICAL" }), 1100);
    const l2 = new AlarmList({ newId: () => "b1" }, l.all(), 1);
    assert.equal(l2.nextNotificationId, 3);
    assert.deepEqual(l2.raise(cond({ severity: "CRITICAL" }), 1200), [], "the restored alarm is the same condition");
    assert.equal(l2.clear("probe|upf-1|n4", 1300)[0].notificationId, 3);
  });
});

describe("mapping", () => {
  const meta = { name: "smf-n4", kind: "pfcp", target: "10.0.4.1:8805", critical: true, interface: "N4" };
  it("a critical probe unhealthy → MAJOR with the interface in objectInstance and the failure kind as probable cause", () => {
    const [a] = mapEvent({ type: "state", node: "upf-17", at: 1, probe: "smf-n4", to: "unhealthy", failure: { kind: "timeout" } }, meta);
    assert.equal(a.op, "raise");
    if (a.op !== "raise") return;
    assert.equal(a.condition.severity, "MAJOR");
    assert.equal(a.condition.objectInstance, "node=upf-17,interface=N4,probe=smf-n4");
    assert.equal(a.condition.probableCause, "RESPONSE_TIME_EXCESSIVE");
    assert.equal(a.condition.target, "10.0.4.1:8805");
    assert.equal(a.condition.specificProblem, "pfcp smf-n4 to 10.0.4.1:8805: timeout");
    const [b] = mapEvent({ type: "state", node: "upf-17", at: 1, probe: "smf-n4", to: "unhealthy", failure: { kind: "refused" } }, { ...meta, critical: false });
    assert.equal(b.op === "raise" && b.condition.severity, "MINOR");
    assert.deepEqual(mapEvent({ type: "state", node: "upf-17", at: 2, probe: "smf-n4", to: "healthy" }, meta), [{ op: "clear", key: "probe|upf-17|smf-n4" }]);
  });
  it("node DOWN → CRITICAL, DEGRADED → MINOR (the same alarm), UP → clear", () => {
    const [d] = mapEvent({ type: "verdict", node: "n", at: 1, to: "DOWN", causes: ["smf-n4"] });
    const [g] = mapEvent({ type: "verdict", node: "n", at: 2, to: "DEGRADED", causes: ["dns"] });
    assert.ok(d.op === "raise" && g.op === "raise");
    if (d.op !== "raise" || g.op !== "raise") return;
    assert.equal(d.condition.severity, "CRITICAL");
    assert.equal(g.condition.severity, "MINOR");
    assert.equal(d.condition.key, g.condition.key);
    assert.deepEqual(mapEvent({ type: "verdict", node: "n", at: 3, to: "UP", causes: [] }), [{ op: "clear", key: "verdict|n" }]);
  });
  it("spool drops → WARNING; one peer restart is an event only, a repeat is a WARNING; silence → MAJOR", () => {
    const [s] = mapEvent({ type: "spool-drop", node: "n", at: 1, records: 40, bytes: 4000 });
    assert.equal(s.op === "raise" && s.condition.severity, "WARNING");
    assert.deepEqual(mapEvent({ type: "peer-restart", node: "n", at: 1, probe: "smf-n4", detail: {}, recent: 1 }, meta), []);
    const [r] = mapEvent({ type: "peer-restart", node: "n", at: 1, probe: "smf-n4", detail: {}, recent: 2 }, meta);
    assert.equal(r.op === "raise" && r.condition.severity, "WARNING");
    const [q] = mapEvent({ type: "silent", node: "n", at: 200_000, lastSeen: 0 });
    assert.equal(q.op === "raise" && q.condition.severity, "MAJOR");
    assert.equal(q.op === "raise" && q.condition.probableCause, "LOSS_OF_SIGNAL");
  });
});
