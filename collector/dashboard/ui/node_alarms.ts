/**
 * @module The node page's alarm part: availability (today, this month, CSV) and a timeline of the
 * node's verdict changes, probe state changes, peer restarts, reloads and alarms. Re-read when the
 * node's grid row changes (`tick`).
 */
import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { type AvailabilityView, fetchAvailability, fetchNodeAlarmHistory } from "./alarm_api.ts";
import { type AlarmView, timeline } from "./alarm_model.ts";

const DAY = 86_400_000;

function pct(v: number | null | undefined): string {
  return v === null || v === undefined ? "—" : `${v.toFixed(3)} %`;
}

function dur(ms: number | null): string {
  if (ms === null) return "—";
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`;
}

export function NodeAlarms({ id, events, now, tick }: { id: string; events: readonly { at: number; type: string; probe?: string; detail: Readonly<Record<string, unknown>> }[]; now: number; tick: string | number }) {
  const [alarms, setAlarms] = useState<AlarmView[]>([]);
  const [days, setDays] = useState<AvailabilityView | undefined>();
  const [months, setMonths] = useState<AvailabilityView | undefined>();
  useEffect(() => {
    const ac = new AbortController();
    const t = Math.floor(now / 60_000) * 60_000;
    fetchNodeAlarmHistory(id, t - 7 * DAY, ac.signal).then(setAlarms).catch(() => {});
    fetchAvailability(id, "day", t - 6 * DAY, ac.signal).then(setDays).catch(() => {});
    fetchAvailability(id, "month", Date.UTC(new Date(t).getUTCFullYear(), new Date(t).getUTCMonth() - 2, 1), ac.signal).then(setMonths).catch(() => {});
    return () => ac.abort();
  }, [id, tick]);
  const entries = timeline(events, alarms, 60);
  return html`
    <section class="availability" data-node=${id}>
      <h2>availability <a class="csv" href=${`/api/v1/nodes/${encodeURIComponent(id)}/availability?by=day&format=csv`} download>CSV</a></h2>
      ${days && html`<table class="avail">
        <thead><tr><th></th>${days.subjects[0]?.periods.map((p) => html`<th>${p.period.slice(5)}</th>`)}${months?.subjects[0]?.periods.map((p) => html`<th>${p.period}</th>`)}</tr></thead>
        <tbody>${days.subjects.map((s, i) => html`<tr data-subject=${s.subject}><th>${s.subject}</th>
          ${s.periods.map((p) => html`<td class=${p.availability !== null && p.availability < 100 ? "bad" : ""} title=${`${p.outages.length} outages, MTTR ${dur(p.mttrMs)}${p.outages.length ? `\n${[...new Set(p.outages.map((o) => o.cause))].join("\n")}` : ""}`}>${pct(p.availability)}</td>`)}
          ${months?.subjects[i]?.periods.map((p) => html`<td class="month" title=${`MTTR ${dur(p.mttrMs)}`}>${pct(p.availability)}</td>`)}
        </tr>`)}</tbody>
      </table>`}
    </section>
    <section class="timeline" id="timeline">
      <h2>timeline</h2>
      ${entries.length === 0 ? html`<p class="empty">Nothing yet.</p>` : html`<ol>
        ${entries.map((e) => html`<li data-kind=${e.kind} class=${`tl ${e.kind}${e.severity ? ` ${e.severity.toLowerCase()}` : ""}`}>
          <time>${new Date(e.at).toISOString().replace("T", " ").slice(0, 19)}</time> ${e.text}</li>`)}
      </ol>`}
    </section>
  `;
}
