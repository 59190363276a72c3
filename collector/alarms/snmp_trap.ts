/**
 * @module Northbound: SNMP v2c notifications with the `net-snmp` library (docs/alarms.md, "SNMP").
 *
 * Notification OIDs under the enterprise arc E (config `enterpriseOid`):
 * E.0.1 alarmNew, E.0.2 alarmChanged, E.0.3 alarmCleared, E.0.4 alarmAckChanged,
 * E.0.5 alarmCorrelationChanged. Varbinds E.1.N carry the alarm's fields (table in docs/alarms.md);
 * severity uses the ITU-T ItuPerceivedSeverity numbering of RFC 3877 (cleared 1, indeterminate 2,
 * critical 3, major 4, minor 5, warning 6).
 *
 * `mode: trap` (the default) is fire-and-forget over UDP (RFC 3416 §4.2.6): a trap receiver that is
 * down cannot be noticed. `mode: inform` waits for the receiver's Response (RFC 3416 §4.2.7) and
 * retries through the outbox until it comes, so nothing is lost while the receiver is down.
 */
import snmp from "net-snmp";
import type { Sender } from "./outbox.ts";
import type { AlarmNotification, NotificationType, Severity } from "./types.ts";

export const NOTIFICATION_ARC: Readonly<Record<NotificationType, number>> = {
  notifyNewAlarm: 1,
  notifyChangedAlarm: 2,
  notifyClearedAlarm: 3,
  notifyAckStateChanged: 4,
  notifyCorrelatedNotificationChanged: 5,
};

/** RFC 3877 ItuPerceivedSeverity. */
export const ITU_SEVERITY: Readonly<Record<Severity, number>> = { CLEARED: 1, INDETERMINATE: 2, CRITICAL: 3, MAJOR: 4, MINOR: 5, WARNING: 6 };

/** Varbind columns under E.1 (docs/alarms.md keeps the same table). */
export const VARBINDS = {
  alarmId: 1,
  notificationId: 2,
  objectInstance: 3,
  perceivedSeverity: 4,
  alarmType: 5,
  probableCause: 6,
  specificProblem: 7,
  eventTime: 8,
  node: 9,
  ackState: 10,
  rootCauseIndicator: 11,
  parentAlarmId: 12,
  correlatedCount: 13,
  alarmRaisedTime: 14,
  ackUserId: 15,
} as const;

/** The outbox message: the fields, flat, so a restart re-sends exactly what was queued. */
export function snmpMessage(n: AlarmNotification): string {
  const a = n.alarm;
  return JSON.stringify({
    type: n.notificationType,
    alarmId: a.alarmId,
    notificationId: n.notificationId,
    objectInstance: a.objectInstance,
    perceivedSeverity: a.perceivedSeverity,
    alarmType: a.alarmType,
    probableCause: a.probableCause,
    specificProblem: a.specificProblem,
    eventTime: new Date(n.eventTime).toISOString(),
    node: a.node ?? "",
    ackState: a.ackState,
    rootCauseIndicator: a.rootCauseIndicator,
    parentAlarmId: a.parentAlarmId ?? "",
    correlatedCount: a.correlatedNotifications.length,
    alarmRaisedTime: new Date(a.alarmRaisedTime).toISOString(),
    ackUserId: a.ackUserId ?? "",
  });
}

/** ASN.1 tags of the SMIv2 types we send (RFC 2578 §7.1; net-snmp's ObjectType uses the same numbers). */
const T = { Integer: 2, OctetString: 4, Unsigned32: 66 } as const;

interface Varbind {
  oid: string;
  type: number;
  value: string | number | Uint8Array;
}

/** Notification OID and varbinds of one queued message. */
export function trapVarbinds(enterpriseOid: string, body: string): { oid: string; varbinds: Varbind[] } {
  const m = JSON.parse(body) as Record<string, string | number | boolean>;
  const col = (k: keyof typeof VARBINDS) => `${enterpriseOid}.1.${VARBINDS[k]}`;
  const str = (k: keyof typeof VARBINDS): Varbind => ({ oid: col(k), type: T.OctetString, value: String(m[k]) });
  const int = (k: keyof typeof VARBINDS, v: number): Varbind => ({ oid: col(k), type: T.Integer, value: v });
  return {
    oid: `${enterpriseOid}.0.${NOTIFICATION_ARC[m.type as NotificationType]}`,
    varbinds: [
      str("alarmId"),
      { oid: col("notificationId"), type: T.Unsigned32, value: Number(m.notificationId) >>> 0 },
      str("objectInstance"),
      int("perceivedSeverity", ITU_SEVERITY[m.perceivedSeverity as Severity] ?? 2),
      str("alarmType"),
      str("probableCause"),
      str("specificProblem"),
      str("eventTime"),
      str("node"),
      str("ackState"),
      // SNMPv2-TC TruthValue: true(1), false(2).
      int("rootCauseIndicator", m.rootCauseIndicator ? 1 : 2),
      str("parentAlarmId"),
      { oid: col("correlatedCount"), type: T.Unsigned32, value: Number(m.correlatedCount) >>> 0 },
      str("alarmRaisedTime"),
      str("ackUserId"),
    ],
  };
}

export interface SnmpTargetOptions {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly community: string;
  readonly enterpriseOid: string;
  readonly mode?: "trap" | "inform";
  /** Inform only: how long to wait for the Response. @default 5000 */
  readonly timeout?: number;
}

export function snmpTrapSender(o: SnmpTargetOptions): Sender {
  const transport = o.host.includes(":") ? "udp6" : "udp4";
  return {
    name: `snmp:${o.name}`,
    batch: 50,
    async send(bodies, signal) {
      // One session per batch: a UDP socket is cheap and nothing stays open between alarms.
      const session = snmp.createSession(o.host, o.community, { version: snmp.Version2c, trapPort: o.port, transport, timeout: o.timeout ?? 5000, retries: 0 });
      try {
        for (const b of bodies) {
          if (signal.aborted) throw new Error(`Cannot send SNMP notification to ${o.name}: stopping`);
          const { oid, varbinds } = trapVarbinds(o.enterpriseOid, b);
          await new Promise<void>((resolve, reject) => {
            const cb = (e: Error | null) => (e ? reject(new Error(`Cannot send SNMP ${o.mode ?? "trap"} to ${o.host}:${o.port}: ${e.message}`, { cause: e })) : resolve());
            if (o.mode === "inform") session.inform(oid, varbinds, cb);
            else session.trap(oid, varbinds, cb);
          });
        }
      } finally {
        session.close();
      }
    },
  };
}
