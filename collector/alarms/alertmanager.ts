/**
 * @module Northbound: Prometheus Alertmanager API v2 (`POST /api/v2/alerts`, a JSON array of
 * postableAlert: labels, annotations, startsAt, endsAt, generatorURL;
 * https://github.com/prometheus/alertmanager/blob/main/api/v2/openapi.yaml).
 *
 * Alertmanager identifies an alert by its label set, so an alarm's labels never change during its
 * life except `severity`: a severity change resolves the alert of the old severity and fires one
 * of the new. Like Prometheus, the collector re-sends every active alarm periodically with
 * `endsAt` a few periods ahead, so Alertmanager resolves them by itself if the collector dies; a
 * clear is sent with `endsAt` = the clear time.
 */
import type { Sender } from "./outbox.ts";
import type { AlarmNotification, AlarmRecord, Severity } from "./types.ts";

export interface AlertmanagerOptions {
  readonly urls: readonly string[];
  readonly timeout: number;
  readonly externalUrl?: string;
}

export interface PostableAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt?: string;
  readonly generatorURL?: string;
}

/** The alert of an alarm at a severity; `endsAt` in ms (resolves when in the past). */
export function toAlert(a: AlarmRecord, severity: Severity, endsAt: number | undefined, externalUrl?: string): PostableAlert {
  const labels: Record<string, string> = {
    alertname: `edgeprobe_${a.kind.replaceAll("-", "_")}`,
    severity: severity.toLowerCase(),
    alarmId: a.alarmId,
    objectInstance: a.objectInstance,
    alarmType: a.alarmType,
    probableCause: a.probableCause,
  };
  if (a.node) labels.node = a.node;
  if (a.probe) labels.probe = a.probe;
  if (a.interface) labels.interface = a.interface;
  if (a.target) labels.target = a.target;
  for (const [k, v] of Object.entries(a.labels)) if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) && !(k in labels)) labels[k] = v;
  return {
    labels,
    annotations: {
      summary: a.specificProblem,
      rootCauseIndicator: String(a.rootCauseIndicator),
      correlated: String(a.correlatedNotifications.length),
      ...(a.additionalText ? { description: a.additionalText } : {}),
    },
    startsAt: new Date(a.alarmRaisedTime).toISOString(),
    ...(endsAt !== undefined ? { endsAt: new Date(endsAt).toISOString() } : {}),
    ...(externalUrl ? { generatorURL: `${externalUrl.replace(/\/$/, "")}/alarms?alarmId=${encodeURIComponent(a.alarmId)}` } : {}),
  };
}

/**
 * Outbox messages for one notification: raises and severity changes fire, clears resolve;
 * acknowledgements and correlation changes mean nothing to Alertmanager.
 * @param firingUntil `endsAt` of a firing alert (ms)
 */
export function alertmanagerMessages(n: AlarmNotification, firingUntil: number, externalUrl?: string): string[] {
  const a = n.alarm;
  switch (n.notificationType) {
    case "notifyNewAlarm":
      return [JSON.stringify(toAlert(a, a.perceivedSeverity, firingUntil, externalUrl))];
    case "notifyChangedAlarm": {
      const out = [JSON.stringify(toAlert(a, a.perceivedSeverity, firingUntil, externalUrl))];
      if (n.previousSeverity && n.previousSeverity !== a.perceivedSeverity) out.unshift(JSON.stringify(toAlert(a, n.previousSeverity, n.eventTime, externalUrl)));
      return out;
    }
    case "notifyClearedAlarm": {
      // The alert that fired had the severity before the clear; the record keeps it in history only
      // as CLEARED, so the last active severity rides in previousSeverity when known.
      const sev = n.previousSeverity ?? "INDETERMINATE";
      return [JSON.stringify(toAlert(a, sev, a.alarmClearedTime ?? n.eventTime, externalUrl))];
    }
    default:
      return [];
  }
}

/** POST a batch of alerts to every Alertmanager; throws unless each took them. */
export async function postAlerts(o: AlertmanagerOptions, alerts: readonly string[], signal: AbortSignal): Promise<void> {
  const body = `[${alerts.join(",")}]`;
  const errors: string[] = [];
  await Promise.all(o.urls.map(async (u) => {
    try {
      const res = await fetch(`${u.replace(/\/$/, "")}/api/v2/alerts`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        signal: AbortSignal.any([signal, AbortSignal.timeout(o.timeout)]),
      });
      const text = await res.text();
      if (!res.ok) errors.push(`${u}: HTTP ${res.status} ${text.slice(0, 200)}`);
    } catch (e) {
      errors.push(`${u}: ${(e as Error).message}`);
    }
  }));
  if (errors.length) throw new Error(`Cannot post alerts to Alertmanager: ${errors.join("; ")}`);
}

export function alertmanagerSender(o: AlertmanagerOptions): Sender {
  return { name: "alertmanager", batch: 500, send: (bodies, signal) => postAlerts(o, bodies, signal) };
}
