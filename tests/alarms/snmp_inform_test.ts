/**
 * SNMP informs through the durable outbox against Debian's snmptrapd: while the receiver is down
 * the informs time out and stay queued; once it is up, every one arrives, in order.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { openSqliteAlarmRepo } from "../../collector/alarms/sqlite_repo.ts";
import { startOutbox } from "../../collector/alarms/outbox.ts";
import { snmpMessage, snmpTrapSender } from "../../collector/alarms/snmp_trap.ts";
import type { AlarmNotification, AlarmRecord } from "../../collector/alarms/types.ts";
import { eventually } from "../_util/process.ts";
import { freePort, startSnmptrapd } from "./_peers.ts";

const E = "1.3.6.1.4.1.8072.9999.9999.7";
const alarm = (id: string): AlarmRecord => ({
  alarmId: id, key: `k-${id}`, kind: "probe-unhealthy", node: "upf-1", probe: "smf-n4", objectInstance: "node=upf-1,interface=N4,probe=smf-n4",
  alarmType: "COMMUNICATIONS_ALARM", probableCause: "RESPONSE_TIME_EXCESSIVE", specificProblem: "pfcp smf-n4: timeout", labels: {},
  notificationId: 1, alarmRaisedTime: Date.now(), perceivedSeverity: "MAJOR", ackState: "UNACKNOWLEDGED", correlatedNotifications: [], rootCauseIndicator: false, maintenance: false,
});

describe("SNMP informs through the outbox", { timeout: 60_000 }, () => {
  it("nothing is lost while snmptrapd is down", async () => {
    const port = await freePort(33170);
    const repo = await openSqliteAlarmRepo(":memory:");
    const ctl = new AbortController();
    const ob = startOutbox(repo.outbox, snmpTrapSender({ name: "nms", host: "127.0.0.1", port, community: "public", enterpriseOid: E, mode: "inform", timeout: 300 }), { minBackoff: 100, maxBackoff: 400, maxMessages: 1000, log: () => {}, signal: ctl.signal });
    ob.enqueue(["i1", "i2", "i3"].map((id, n) => snmpMessage({ notificationId: n + 1, notificationType: "notifyNewAlarm", eventTime: Date.now(), alarm: alarm(id) } as AlarmNotification)));
    await eventually(async () => ob.stats().failures >= 2, 10_000);
    assert.equal(ob.stats().pending, 3);
    assert.match(ob.stats().lastError ?? "", /Cannot send SNMP inform/);
    const trapd = await startSnmptrapd(port);
    try {
      await eventually(async () => ob.stats().pending === 0, 15_000);
      const ids = () => [...new Set(trapd.traps().map((l) => /\.1\.1 = STRING: "(i\d)"/.exec(l)?.[1]))];
      // snmptrapd answers an inform before its log line reaches our pipe (a CI run saw pending 0
      // with i3's line not yet read): wait for the lines, then check them.
      await eventually(async () => ids().filter(Boolean).length >= 3, 5_000).catch(() => {});
      // At least once: an inform whose answer was lost while snmptrapd started may come twice.
      assert.deepEqual(ids(), ["i1", "i2", "i3"]);
    } finally {
      ctl.abort();
      await trapd.stop();
      await repo.close();
    }
  });
});
