/**
 * @module The alarm list as a state machine with no I/O: raise, change, clear, acknowledge.
 *
 * Semantics after ITU-T X.733 §8.1.2 and 3GPP TS 28.532 §11.2 (fault supervision): one alarm per
 * condition (`Condition.key`) while it lasts; a new severity, probable cause or specific problem of
 * the same condition is a *change* of that alarm (notifyChangedAlarm), not a new one; the alarm
 * clears when the condition ends (notifyClearedAlarm, perceivedSeverity CLEARED). A cleared alarm
 * stays in the list until it is acknowledged (TS 28.532: an alarm leaves the alarm list once it is
 * both cleared and acknowledged); a condition that returns after a clear is a new alarm.
 * Clock and id generator are passed in; the caller persists and fans out what each call returns.
 */
import type { AlarmNotification, AlarmRecord, Condition, CorrelatedNotification, NotificationType } from "./types.ts";

export interface AlarmListDeps {
  /** A new unique alarm id. */
  readonly newId: () => string;
  /** Labels of a node, copied onto its alarms (for label filters and northbound labels). */
  readonly labelsOf?: (node: string) => Readonly<Record<string, string>>;
}

export class AlarmList {
  /** Alarms in the list (active, or cleared and not yet acknowledged), by alarmId. */
  readonly #byId = new Map<string, AlarmRecord>();
  /** Active (not cleared) alarms by condition key. */
  readonly #byKey = new Map<string, string>();
  #nextNotificationId: number;
  readonly #deps: AlarmListDeps;

  constructor(deps: AlarmListDeps, restored: readonly AlarmRecord[] = [], nextNotificationId = 1) {
    this.#deps = deps;
    this.#nextNotificationId = nextNotificationId;
    for (const a of restored) {
      if (a.perceivedSeverity === "CLEARED" && a.ackState === "ACKNOWLEDGED") continue;
      this.#byId.set(a.alarmId, a);
      if (a.perceivedSeverity !== "CLEARED") this.#byKey.set(a.key, a.alarmId);
      if (a.notificationId >= this.#nextNotificationId) this.#nextNotificationId = a.notificationId + 1;
    }
  }

  get nextNotificationId(): number {
    return this.#nextNotificationId;
  }

  /** Every alarm in the list. */
  all(): AlarmRecord[] {
    return [...this.#byId.values()];
  }

  get(alarmId: string): AlarmRecord | undefined {
    return this.#byId.get(alarmId);
  }

  /** The active alarm of a condition. */
  active(key: string): AlarmRecord | undefined {
    const id = this.#byKey.get(key);
    return id === undefined ? undefined : this.#byId.get(id);
  }

  activeCount(): number {
    return this.#byKey.size;
  }

  #note(type: NotificationType, alarm: AlarmRecord, at: number, previousSeverity?: AlarmRecord["perceivedSeverity"]): AlarmNotification {
    const notificationId = this.#nextNotificationId++;
    const a = { ...alarm, notificationId };
    this.#byId.set(a.alarmId, a);
    return { notificationId, notificationType: type, eventTime: at, alarm: a, ...(previousSeverity ? { previousSeverity } : {}) };
  }

  /**
   * Take an alarm as another collector wrote it (JetStream mode): it replaces ours. Returns the
   * notification to show live, or undefined when nothing changed.
   */
  adopt(a: AlarmRecord): AlarmNotification | undefined {
    const cur = this.#byId.get(a.alarmId);
    if (cur && JSON.stringify(cur) === JSON.stringify(a)) return undefined;
    const type: NotificationType = !cur ? "notifyNewAlarm"
      : a.perceivedSeverity === "CLEARED" && cur.perceivedSeverity !== "CLEARED" ? "notifyClearedAlarm"
      : a.ackState !== cur.ackState ? "notifyAckStateChanged"
      : a.correlatedNotifications.length !== cur.correlatedNotifications.length ? "notifyCorrelatedNotificationChanged"
      : "notifyChangedAlarm";
    if (a.perceivedSeverity !== "CLEARED") this.#byKey.set(a.key, a.alarmId);
    else if (this.#byKey.get(a.key) === a.alarmId) this.#byKey.delete(a.key);
    if (a.perceivedSeverity === "CLEARED" && a.ackState === "ACKNOWLEDGED") this.#byId.delete(a.alarmId);
    else this.#byId.set(a.alarmId, a);
    if (a.notificationId >= this.#nextNotificationId) this.#nextNotificationId = a.notificationId + 1;
    return { notificationId: a.notificationId, notificationType: type, eventTime: a.alarmChangedTime ?? a.alarmRaisedTime, alarm: a };
  }

  /** Record that an alarm's raise went northbound (no notification). */
  markSent(alarmId: string): AlarmRecord | undefined {
    const a = this.#byId.get(alarmId);
    if (!a || a.sentNorthbound) return undefined;
    const next = { ...a, sentNorthbound: true };
    this.#byId.set(alarmId, next);
    return next;
  }

  /**
   * Raise a condition, or change the alarm already raised for it. Nothing happens (no
   * notification) when the alarm already has this severity, cause and problem.
   */
  raise(c: Condition, at: number, extra: { maintenance?: boolean } = {}): AlarmNotification[] {
    const cur = this.active(c.key);
    const { severity, ...rest } = c;
    if (!cur) {
      const alarm: AlarmRecord = {
        ...rest,
        alarmId: this.#deps.newId(),
        labels: c.node ? { ...this.#deps.labelsOf?.(c.node) } : {},
        notificationId: 0,
        alarmRaisedTime: at,
        perceivedSeverity: severity,
        ackState: "UNACKNOWLEDGED",
        correlatedNotifications: [],
        rootCauseIndicator: c.kind === "peer-fault" || c.kind === "local-fault",
        maintenance: extra.maintenance ?? false,
      };
      this.#byKey.set(c.key, alarm.alarmId);
      return [this.#note("notifyNewAlarm", alarm, at)];
    }
    if (cur.perceivedSeverity === severity && cur.probableCause === c.probableCause && cur.specificProblem === c.specificProblem && sameList(cur.causes, c.causes)) return [];
    // X.733 §8.1.2.8: an acknowledged alarm whose severity changes needs acknowledging again.
    const sevChanged = cur.perceivedSeverity !== severity;
    const changed: AlarmRecord = {
      ...cur,
      ...rest,
      perceivedSeverity: severity,
      alarmChangedTime: at,
      ...(sevChanged ? { ackState: "UNACKNOWLEDGED" as const, ackUserId: undefined, ackTime: undefined } : {}),
    };
    return [this.#note("notifyChangedAlarm", stripUndefined(changed), at, sevChanged ? cur.perceivedSeverity : undefined)];
  }

  /** The condition ended (or an operator cleared it: `by`). */
  clear(key: string, at: number, by?: string): AlarmNotification[] {
    const cur = this.active(key);
    if (!cur) return [];
    this.#byKey.delete(key);
    const cleared: AlarmRecord = { ...cur, perceivedSeverity: "CLEARED", alarmClearedTime: at, alarmChangedTime: at, ...(by ? { clearUserId: by } : {}) };
    const n = this.#note("notifyClearedAlarm", cleared, at, cur.perceivedSeverity);
    if (cleared.ackState === "ACKNOWLEDGED") this.#byId.delete(cleared.alarmId);
    return [n];
  }

  /** Clear by alarm id (operator). */
  clearById(alarmId: string, at: number, by: string): AlarmNotification[] {
    const a = this.#byId.get(alarmId);
    if (!a || a.perceivedSeverity === "CLEARED") return [];
    return this.clear(a.key, at, by);
  }

  /** Acknowledge (or, with `ack: false`, unacknowledge) an alarm. No-op when already in that state. */
  setAck(alarmId: string, ack: boolean, user: string, at: number): AlarmNotification[] {
    const a = this.#byId.get(alarmId);
    if (!a) return [];
    const want = ack ? "ACKNOWLEDGED" : "UNACKNOWLEDGED";
    if (a.ackState === want) return [];
    const next = stripUndefined({ ...a, ackState: want, ackUserId: user, ackTime: at } as AlarmRecord);
    const n = this.#note("notifyAckStateChanged", next, at);
    if (ack && a.perceivedSeverity === "CLEARED") this.#byId.delete(a.alarmId);
    return [n];
  }

  /**
   * Set which root an alarm is correlated under (undefined: none), and keep each root's
   * correlatedNotifications list in step (notifyCorrelatedNotificationChanged on the root).
   */
  setParents(parents: ReadonlyMap<string, string | undefined>, at: number): AlarmNotification[] {
    const out: AlarmNotification[] = [];
    const touchedRoots = new Set<string>();
    for (const [id, parent] of parents) {
      const a = this.#byId.get(id);
      if (!a || a.parentAlarmId === parent) continue;
      if (a.parentAlarmId) touchedRoots.add(a.parentAlarmId);
      if (parent) touchedRoots.add(parent);
      const next = { ...a, parentAlarmId: parent };
      if (parent === undefined) delete (next as { parentAlarmId?: string }).parentAlarmId;
      this.#byId.set(id, next);
    }
    for (const rootId of touchedRoots) {
      const root = this.#byId.get(rootId);
      if (!root) continue;
      const list: CorrelatedNotification[] = [];
      for (const a of this.#byId.values()) {
        if (a.parentAlarmId === rootId) list.push({ alarmId: a.alarmId, objectInstance: a.objectInstance, notificationId: a.notificationId });
      }
      list.sort((x, y) => x.notificationId - y.notificationId);
      out.push(this.#note("notifyCorrelatedNotificationChanged", { ...root, correlatedNotifications: list }, at));
    }
    return out;
  }
}

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  return a.every((x, i) => x === b[i]);
}

function stripUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
