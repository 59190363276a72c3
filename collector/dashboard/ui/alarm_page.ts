/**
 * @module The alarm page (#/alarms), the severity counts in the header, and the live alarm feed
 * they share. Most severe first by default; sort by any column; filter by severity; operators
 * acknowledge, unacknowledge and clear (the collector answers 403 to a viewer, shown as a banner).
 */
import { html } from "htm/preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { alarmAction, fetchAlarms } from "./alarm_api.ts";
import {
  type AlarmMap,
  type AlarmNotificationView,
  type AlarmView,
  applyNotification,
  countBySeverity,
  filterAlarms,
  type Severity,
  SEVERITY_ORDER,
  type SortKey,
  sortAlarms,
} from "./alarm_model.ts";

export interface AlarmFeed {
  readonly alarms: AlarmMap;
  readonly loaded: boolean;
  readonly error?: string;
  /** Apply an alarm the API answered (after an action) without waiting for the event. */
  readonly put: (a: AlarmView) => void;
  /** Apply a live notification (the `alarm` events of the page's one event stream). */
  readonly apply: (n: unknown) => void;
  /** Re-read the list (after the event stream reconnected: events may have been missed). */
  readonly reload: () => void;
}

/**
 * The alarm list, loaded at start, on every reconnect of the page's event stream and every
 * minute, kept live by the `alarm` events the caller passes to `apply`.
 */
export function useAlarmFeed(): AlarmFeed {
  const [alarms, setAlarms] = useState<AlarmMap>({});
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const ref = useRef(alarms);
  ref.current = alarms;
  const load = useCallback(async () => {
    try {
      const list = await fetchAlarms();
      // Keep whatever a live notification brought that is newer than this answer.
      const next: Record<string, AlarmView> = {};
      for (const a of list) {
        const cur = ref.current[a.alarmId];
        next[a.alarmId] = cur && cur.notificationId > a.notificationId ? cur : a;
      }
      setAlarms(next);
      setLoaded(true);
      setError(undefined);
    } catch (e) {
      setError((e as Error).message);
    }
  }, []);
  useEffect(() => {
    void load();
    // A missed event (a proxy dropping the stream silently) is repaired within a minute.
    const t = setInterval(() => void load(), 60_000);
    return () => clearInterval(t);
  }, []);
  const put = useCallback((a: AlarmView) => setAlarms((l) => applyNotification(l, { notificationId: a.notificationId, notificationType: "", eventTime: "", alarm: a })), []);
  const apply = useCallback((n: unknown) => {
    const v = n as AlarmNotificationView;
    if (v && typeof v === "object" && v.alarm && typeof v.alarm.alarmId === "string") setAlarms((l) => applyNotification(l, v));
  }, []);
  const reload = useCallback(() => void load(), [load]);
  return { alarms, loaded, error, put, apply, reload };
}

const SEV_CLASS = (s: Severity) => s.toLowerCase();

/** Active alarm counts by severity, for the header (links to the filtered alarm page). */
export function AlarmCounts({ feed }: { feed: AlarmFeed }) {
  const active = Object.values(feed.alarms).filter((a) => a.perceivedSeverity !== "CLEARED" && !a.parentAlarmId);
  const c = countBySeverity(active);
  return html`<a class="alarm-counts" href="#/alarms" aria-label="active alarms by severity" id="alarm-counts">
    ${(["CRITICAL", "MAJOR", "MINOR", "WARNING"] as const).map((s) => html`<span class=${`sev ${SEV_CLASS(s)}${c[s] ? "" : " zero"}`} data-severity=${s} title=${`${c[s]} ${s.toLowerCase()} alarms`}><b>${c[s]}</b>${s[0]}</span>`)}
  </a>`;
}

const fmtTime = (iso?: string) => (iso ? iso.replace("T", " ").slice(0, 19) : "");

export function AlarmPage({ feed }: { feed: AlarmFeed }) {
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: "severity", desc: false });
  const [severities, setSeverities] = useState<Severity[]>([]);
  const [rootOnly, setRootOnly] = useState(true);
  const [ack, setAck] = useState<"all" | "unacknowledged" | "acknowledged">("all");
  const [open, setOpen] = useState<string | undefined>();
  const [actionError, setActionError] = useState<string | undefined>();
  const all = Object.values(feed.alarms);
  const shown = sortAlarms(filterAlarms(all, { severities, rootOnly, ack }), sort.key, sort.desc);
  const counts = countBySeverity(filterAlarms(all, { severities: [], rootOnly, ack }));
  const toggleSev = (s: Severity) => setSeverities((l) => (l.includes(s) ? l.filter((x) => x !== s) : [...l, s]));
  const head = (key: SortKey, label: string) =>
    html`<th class="sortable" data-sort=${key} aria-sort=${sort.key === key ? (sort.desc ? "descending" : "ascending") : "none"}
      onClick=${() => setSort((s) => ({ key, desc: s.key === key ? !s.desc : false }))}>${label}${sort.key === key ? (sort.desc ? " ▼" : " ▲") : ""}</th>`;
  const act = async (id: string, action: "ack" | "unack" | "clear") => {
    try {
      feed.put(await alarmAction(id, action));
      setActionError(undefined);
    } catch (e) {
      setActionError((e as Error).message);
    }
  };
  const children = (root: AlarmView) => root.correlatedNotifications.map((c) => feed.alarms[c.alarmId]).filter(Boolean) as AlarmView[];

  return html`
    <section class="filters alarm-filters" aria-label="alarm filters">
      ${SEVERITY_ORDER.map((s) => html`
        <label class=${`sev-filter ${SEV_CLASS(s)}`}><input type="checkbox" data-severity-filter=${s} checked=${severities.includes(s)} onChange=${() => toggleSev(s)} />${s} <b>${counts[s]}</b></label>`)}
      <label>ack
        <select value=${ack} data-ack-filter onChange=${(e: Event) => setAck((e.target as HTMLSelectElement).value as typeof ack)}>
          <option value="all">all</option><option value="unacknowledged">unacknowledged</option><option value="acknowledged">acknowledged</option>
        </select>
      </label>
      <label><input type="checkbox" checked=${rootOnly} data-root-only onChange=${() => setRootOnly((v) => !v)} />one per cause</label>
      <span class="shown">${shown.length} of ${all.length} alarms</span>
    </section>
    ${(feed.error || actionError) && html`<div class="banner" role="alert" id="alarm-error">${actionError ?? feed.error}</div>`}
    ${!feed.loaded ? html`<p class="empty">Loading alarms…</p>` : shown.length === 0 ? html`<p class="empty">No alarms${all.length ? " match these filters" : ""}.</p>` : html`
    <table class="alarms" id="alarm-table">
      <thead><tr>${head("severity", "severity")}${head("raised", "raised")}${head("node", "object")}${head("cause", "probable cause")}<th>problem</th><th>ack</th><th></th></tr></thead>
      <tbody>
        ${shown.map((a) => html`
          <tr data-alarm=${a.alarmId} data-severity=${a.perceivedSeverity} data-ack=${a.ackState} class=${`sev-row ${SEV_CLASS(a.perceivedSeverity)}${a.maintenance ? " maint" : ""}`}>
            <td><span class=${`sev-badge ${SEV_CLASS(a.perceivedSeverity)}`}>${a.perceivedSeverity}</span>${a.rootCauseIndicator ? html` <span class="root" title="root cause">ROOT</span>` : ""}</td>
            <td><time>${fmtTime(a.alarmRaisedTime)}</time>${a.alarmClearedTime ? html`<br /><small>cleared ${fmtTime(a.alarmClearedTime)}</small>` : ""}</td>
            <td>${a.node ? html`<a href=${`#/nodes/${encodeURIComponent(a.node)}`}>${a.objectInstance}</a>` : a.objectInstance}</td>
            <td>${a.probableCause}</td>
            <td>${a.specificProblem}${a.maintenance ? html` <small class="maint-tag">maintenance</small>` : ""}
              ${a.correlatedNotifications.length > 0 && html`<button class="link" data-expand onClick=${() => setOpen(open === a.alarmId ? undefined : a.alarmId)}>${a.correlatedNotifications.length} correlated ${open === a.alarmId ? "▴" : "▾"}</button>`}
              ${open === a.alarmId && html`<ul class="correlated">${children(a).map((c) => html`<li data-child=${c.alarmId}><span class=${`sev-badge ${SEV_CLASS(c.perceivedSeverity)}`}>${c.perceivedSeverity}</span> ${c.objectInstance}: ${c.specificProblem}</li>`)}</ul>`}
            </td>
            <td class="ack-state">${a.ackState === "ACKNOWLEDGED" ? html`✔ <small>${a.ackUserId}</small>` : "—"}</td>
            <td class="actions">
              ${a.ackState === "ACKNOWLEDGED"
                ? html`<button data-action="unack" onClick=${() => act(a.alarmId, "unack")}>unack</button>`
                : html`<button data-action="ack" onClick=${() => act(a.alarmId, "ack")}>ack</button>`}
              ${a.perceivedSeverity !== "CLEARED" && html`<button data-action="clear" onClick=${() => act(a.alarmId, "clear")}>clear</button>`}
            </td>
          </tr>`)}
      </tbody>
    </table>`}
  `;
}
