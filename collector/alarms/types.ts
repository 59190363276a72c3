/**
 * @module The alarm model, shaped after the AlarmRecord of 3GPP TS 28.532 fault supervision
 * (attributes defined in TS 28.111) and the ITU-T X.733 alarm reporting function: perceived
 * severity, alarm type (X.733 event type), probable cause, specific problem, acknowledgement.
 * Times are epoch ms here; the API and the northbound formats render them as ISO 8601.
 */

/** X.733 §8.1.2.3 perceived severity; CLEARED only on a cleared alarm. */
export const SEVERITIES = ["CRITICAL", "MAJOR", "MINOR", "WARNING", "INDETERMINATE", "CLEARED"] as const;
export type Severity = typeof SEVERITIES[number];
/** A severity an active alarm can have. */
export type ActiveSeverity = Exclude<Severity, "CLEARED">;

/** TS 28.111 AlarmType (the X.733 event types we raise). */
export type AlarmType = "COMMUNICATIONS_ALARM" | "QUALITY_OF_SERVICE_ALARM" | "PROCESSING_ERROR_ALARM" | "EQUIPMENT_ALARM";
export type AckState = "ACKNOWLEDGED" | "UNACKNOWLEDGED";

/** What condition an alarm stands for (docs/alarms.md has the mapping table). */
export type ConditionKind = "node-verdict" | "probe-unhealthy" | "agent-silent" | "agent-stopped" | "spool-drop" | "peer-restart" | "peer-fault" | "local-fault";

/** A condition the mapping asks to be raised (or kept raised). Its `key` is its identity. */
export interface Condition {
  readonly key: string;
  readonly kind: ConditionKind;
  /** Agent id; absent on a peer-fault (the peer is not one of our nodes). */
  readonly node?: string;
  readonly probe?: string;
  /** The peer's address (probe target) when known. */
  readonly target?: string;
  /** 3GPP interface label of the probe (N3, N4, ...) when known. */
  readonly interface?: string;
  /** Distinguished-name style: "node=upf-17,interface=N4,probe=smf-n4". */
  readonly objectInstance: string;
  readonly alarmType: AlarmType;
  readonly probableCause: string;
  readonly specificProblem: string;
  readonly severity: ActiveSeverity;
  readonly additionalText?: string;
  /** Node-verdict only: the probes the agent named as causes. */
  readonly causes?: readonly string[];
}

/** One correlated alarm as TS 28.532 correlatedNotifications lists it (source and notification). */
export interface CorrelatedNotification {
  readonly alarmId: string;
  readonly objectInstance: string;
  readonly notificationId: number;
}

export interface AlarmRecord extends Omit<Condition, "severity"> {
  /** Unique per occurrence: a condition that clears and returns is a new alarm. */
  readonly alarmId: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Id of the latest notification about this alarm. */
  readonly notificationId: number;
  readonly alarmRaisedTime: number;
  readonly alarmChangedTime?: number;
  readonly alarmClearedTime?: number;
  readonly perceivedSeverity: Severity;
  readonly ackState: AckState;
  readonly ackUserId?: string;
  readonly ackTime?: number;
  /** Who cleared it when an operator did (X.733 allows a manual clear); absent when the condition ended. */
  readonly clearUserId?: string;
  readonly correlatedNotifications: readonly CorrelatedNotification[];
  readonly rootCauseIndicator: boolean;
  /** The root alarm this one is correlated under (suppressed in the default list view and northbound). */
  readonly parentAlarmId?: string;
  /** Raised during a maintenance window: recorded, never sent northbound, left out of availability. */
  readonly maintenance: boolean;
  /** Its raise went northbound (so its changes and clear go too). */
  readonly sentNorthbound?: boolean;
}

/** TS 28.532 notification types of the fault supervision MnS. */
export type NotificationType = "notifyNewAlarm" | "notifyChangedAlarm" | "notifyClearedAlarm" | "notifyAckStateChanged" | "notifyCorrelatedNotificationChanged";

export interface AlarmNotification {
  readonly notificationId: number;
  readonly notificationType: NotificationType;
  readonly eventTime: number;
  /** The alarm after the change. */
  readonly alarm: AlarmRecord;
  /** notifyChangedAlarm: the severity before (Alertmanager resolves the alert of that severity). */
  readonly previousSeverity?: Severity;
}

/** What an API client or northbound receiver sees: times as ISO 8601 (TS 28.532 DateTime). */
export function alarmJson(a: AlarmRecord): Record<string, unknown> {
  const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString());
  return {
    ...a,
    alarmRaisedTime: iso(a.alarmRaisedTime),
    ...(a.alarmChangedTime !== undefined ? { alarmChangedTime: iso(a.alarmChangedTime) } : {}),
    ...(a.alarmClearedTime !== undefined ? { alarmClearedTime: iso(a.alarmClearedTime) } : {}),
    ...(a.ackTime !== undefined ? { ackTime: iso(a.ackTime) } : {}),
  };
}

export function notificationJson(n: AlarmNotification): Record<string, unknown> {
  return { notificationId: n.notificationId, notificationType: n.notificationType, eventTime: new Date(n.eventTime).toISOString(), alarm: alarmJson(n.alarm) };
}
