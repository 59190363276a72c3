import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type AlarmView, applyNotification, countBySeverity, filterAlarms, sortAlarms, timeline } from "./alarm_model.ts";

const a = (id: string, over: Partial<AlarmView> = {}): AlarmView => ({
  alarmId: id, kind: "probe-unhealthy", node: `n-${id}`, objectInstance: `node=n-${id}`, notificationId: 1, alarmRaisedTime: "2026-11-30T07:00:00.000Z",
  alarmType: "COMMUNICATIONS_ALARM", probableCause: "RESPONSE_TIME_EXCESSIVE", specificProblem: "x", perceivedSeverity: "MAJOR", ackState: "UNACKNOWLEDGED",
  correlatedNotifications: [], rootCauseIndicator: false, maintenance: false, labels: {}, ...over,
});

describe("dashboard alarm model", () => {
  it("applies notifications in order, ignores older ones, drops cleared and acknowledged alarms", () => {
    let l = applyNotification({}, { notificationId: 1, notificationType: "notifyNewAlarm", eventTime: "", alarm: a("1") });
    l = applyNotification(l, { notificationId: 3, notificationType: "notifyAckStateChanged", eventTime: "", alarm: a("1", { notificationId: 3, ackState: "ACKNOWLEDGED" }) });
    l = applyNotification(l, { notificationId: 2, notificationType: "notifyChangedAlarm", eventTime: "", alarm: a("1", { notificationId: 2, perceivedSeverity: "CRITICAL" }) });
    assert.equal(l["1"].ackState, "ACKNOWLEDGED", "an older notification does not undo a newer one");
    l = applyNotification(l, { notificationId: 4, notificationType: "notifyClearedAlarm", eventTime: "", alarm: a("1", { notificationId: 4, perceivedSeverity: "CLEARED", ackState: "ACKNOWLEDGED" }) });
    assert.deepEqual(l, {});
  });
  it("counts, filters and sorts", () => {
    const list = [a("1"), a("2", { perceivedSeverity: "CRITICAL", alarmRaisedTime: "2026-11-30T06:00:00.000Z" }), a("3", { parentAlarmId: "2", ackState: "ACKNOWLEDGED" })];
    assert.equal(countBySeverity(list).MAJOR, 2);
    assert.deepEqual(filterAlarms(list, { severities: [], rootOnly: true, ack: "all" }).map((x) => x.alarmId), ["1", "2"]);
    assert.deepEqual(filterAlarms(list, { severities: ["MAJOR"], rootOnly: false, ack: "acknowledged" }).map((x) => x.alarmId), ["3"]);
    assert.deepEqual(sortAlarms(list, "severity", false).map((x) => x.alarmId)[0], "2");
    assert.deepEqual(sortAlarms(list, "raised", true).map((x) => x.alarmId)[2], "2");
  });
  it("merges events and alarms into a timeline, newest first", () => {
    const t = timeline(
      [{ at: 1000, type: "verdict", detail: { from: "UP", to: "DOWN", causes: ["n4"] } }, { at: 500, type: "peer-restart", probe: "n4", detail: {} }],
      [a("1", { alarmRaisedTime: new Date(1001).toISOString(), alarmClearedTime: new Date(2000).toISOString(), perceivedSeverity: "CLEARED" })],
    );
    assert.deepEqual(t.map((e) => e.kind), ["alarm", "alarm", "verdict", "peer-restart"]);
    assert.equal(t[2].text, "verdict UP → DOWN (n4)");
  });
});
