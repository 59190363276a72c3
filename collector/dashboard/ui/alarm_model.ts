/**
 * @module The dashboard's alarm list model, pure: apply live notifications, filter, sort, count
 * (the API is docs/alarms.md; the alarm JSON has ISO 8601 times).
 */

export const SEVERITY_ORDER = ["CRITICAL", "MAJOR", "MINOR", "WARNING", "INDETERMINATE", "CLEARED"] as const;
export type Severity = typeof SEVERITY_ORDER[number];

export interface AlarmView {
  readonly alarmId: string;
  readonly kind: string;
  readonly node?: string;
  readonly probe?: string;
  readonly interface?: string;
  readonly objectInstance: string;
  readonly notificationId: number;
  readonly alarmRaisedTime: string;
  readonly alarmChangedTime?: string;
  readonly alarmClearedTime?: string;
  readonly alarmType: string;
  readonly probableCause: string;
  readonly specificProblem: string;
  readonly perceivedSeverity: Severity;
  readonly ackState: "ACKNOWLEDGED" | "UNACKNOWLEDGED";
  readonly ackUserId?: string;
  readonly correlatedNotifications: readonly { alarmId: string; objectInstance: string; notificationId: number }[];
  readonly rootCauseIndicator: boolean;
  readonly parentAlarmId?: string;
  readonly maintenance: boolean;
  readonly labels: Readonly<Record<string, string>>;
}

export interface AlarmNotificationView {
  readonly notificationId: number;
  readonly notificationType: string;
  readonly eventTime: string;
  readonly alarm: AlarmView;
}

export type AlarmMap = Readonly<Record<string, AlarmView>>;

/**
 * Apply one live notification. A notification older than what the page holds for that alarm is
 * ignored (the list fetched after a reconnect may be newer than a queued event). An alarm that is
 * cleared and acknowledged leaves the list (TS 28.532).
 */
export function applyNotification(list: AlarmMap, n: AlarmNotificationView): AlarmMap {
  const a = n.alarm;
  const cur = list[a.alarmId];
  if (cur && cur.notificationId > a.notificationId) return list;
  const next = { ...list };
  if (a.perceivedSeverity === "CLEARED" && a.ackState === "ACKNOWLEDGED") delete next[a.alarmId];
  else next[a.alarmId] = a;
  return next;
}

export function countBySeverity(list: readonly AlarmView[]): Record<Severity, number> {
  const c = Object.fromEntries(SEVERITY_ORDER.map((s) => [s, 0])) as Record<Severity, number>;
  for (const a of list) c[a.perceivedSeverity]++;
  return c;
}

export type SortKey = "severity" | "raised" | "node" | "cause";

export function sortAlarms(list: readonly AlarmView[], key: SortKey, desc: boolean): AlarmView[] {
  const rank = (s: Severity) => SEVERITY_ORDER.indexOf(s);
  const by: Record<SortKey, (a: AlarmView, b: AlarmView) => number> = {
    severity: (a, b) => rank(a.perceivedSeverity) - rank(b.perceivedSeverity) || Date.parse(b.alarmRaisedTime) - Date.parse(a.alarmRaisedTime),
    raised: (a, b) => Date.parse(a.alarmRaisedTime) - Date.parse(b.alarmRaisedTime),
    node: (a, b) => (a.node ?? a.objectInstance).localeCompare(b.node ?? b.objectInstance),
    cause: (a, b) => a.probableCause.localeCompare(b.probableCause),
  };
  const s = [...list].sort(by[key]);
  return desc ? s.reverse() : s;
}

export interface AlarmFilterView {
  /** Severities shown; empty = all. */
  readonly severities: readonly Severity[];
  /** Hide alarms correlated under a root (the NOC's default). */
  readonly rootOnly: boolean;
  readonly ack: "all" | "unacknowledged" | "acknowledged";
}

export function filterAlarms(list: readonly AlarmView[], f: AlarmFilterView): AlarmView[] {
  return list.filter((a) =>
    (f.severities.length === 0 || f.severities.includes(a.perceivedSeverity)) &&
    (!f.rootOnly || !a.parentAlarmId) &&
    (f.ack === "all" || (f.ack === "acknowledged") === (a.ackState === "ACKNOWLEDGED"))
  );
}

/** One line of a node's timeline. */
export interface TimelineEntry {
  readonly at: number;
  readonly kind: "verdict" | "state" | "peer-restart" | "config-reload" | "agent" | "spool-drop" | "alarm";
  readonly text: string;
  readonly severity?: Severity;
}

/** Merge a node's events and its alarms' raises and clears, newest first, at most `max`. */
export function timeline(
  events: readonly { at: number; type: string; probe?: string; detail: Readonly<Record<string, unknown>> }[],
  alarms: readonly AlarmView[],
  max = 100,
): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  for (const e of events) {
    const d = e.detail;
    switch (e.type) {
      case "verdict":
        out.push({ at: e.at, kind: "verdict", text: `verdict ${d.from} → ${d.to}${Array.isArray(d.causes) && d.causes.length ? ` (${d.causes.join(", ")})` : ""}` });
        break;
      case "state":
        out.push({ at: e.at, kind: "state", text: `${e.probe} ${d.from} → ${d.to}` });
        break;
      case "peer-restart":
        out.push({ at: e.at, kind: "peer-restart", text: `peer of ${e.probe} restarted` });
        break;
      case "config-reload":
        out.push({ at: e.at, kind: "config-reload", text: `config reloaded${["added", "removed", "changed"].map((k) => Array.isArray(d[k]) && (d[k] as string[]).length ? ` ${k}: ${(d[k] as string[]).join(", ")}` : "").join(";")}` });
        break;
      case "spool-drop":
        out.push({ at: e.at, kind: "spool-drop", text: `spool full: ${d.records} records dropped` });
        break;
      case "agent-start":
      case "agent-stop":
        out.push({ at: e.at, kind: "agent", text: e.type === "agent-start" ? `agent started ${d.version ?? ""}` : `agent stopped (${d.reason ?? ""})` });
        break;
    }
  }
  for (const a of alarms) {
    out.push({ at: Date.parse(a.alarmRaisedTime), kind: "alarm", severity: a.perceivedSeverity === "CLEARED" ? "MAJOR" : a.perceivedSeverity, text: `alarm raised: ${a.specificProblem}` });
    if (a.alarmClearedTime) out.push({ at: Date.parse(a.alarmClearedTime), kind: "alarm", severity: "CLEARED", text: `alarm cleared: ${a.specificProblem}` });
  }
  return out.sort((x, y) => y.at - x.at).slice(0, max);
}
