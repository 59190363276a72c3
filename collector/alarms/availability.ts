/**
 * @module Availability per node, probe and 3GPP interface, by UTC day or month, from the alarm
 * history (docs/alarms.md, "Availability"). Pure.
 *
 * - A probe is down while its probe-unhealthy alarm is active.
 * - A node is down while any of its critical probes is (the health model's DOWN).
 * - An interface is down while any probe on it is.
 * Maintenance windows are left out of both the measured time and the outages. Availability % is
 * 100 × (measured − down) / measured; MTTR is the mean duration of the outages that ended in the
 * period (an outage still open at the end of the period does not count towards MTTR).
 */
import type { ProbeMeta } from "../../telemetry/record.ts";
import { maintenanceIntervals, type MaintenanceWindow, mergeIntervals } from "./maintenance.ts";
import type { AlarmRecord } from "./types.ts";

export interface Outage {
  readonly start: number;
  readonly end: number;
  readonly durationMs: number;
  /** Still open at the end of the report window. */
  readonly open: boolean;
  readonly cause: string;
}

export interface PeriodAvailability {
  readonly period: string;
  readonly start: number;
  readonly end: number;
  readonly measuredMs: number;
  readonly downMs: number;
  /** Percent, 3 decimals; null when nothing was measured (the whole period in maintenance or in the future). */
  readonly availability: number | null;
  readonly outages: readonly Outage[];
  readonly mttrMs: number | null;
}

export interface SubjectAvailability {
  /** "node", "probe:<name>" or "interface:<label>". */
  readonly subject: string;
  readonly periods: readonly PeriodAvailability[];
}

export interface AvailabilityReport {
  readonly node: string;
  readonly from: number;
  readonly to: number;
  readonly by: "day" | "month";
  readonly maintenance: readonly [number, number][];
  readonly subjects: readonly SubjectAvailability[];
}

interface Interval {
  start: number;
  end: number;
  open: boolean;
  cause: string;
}

/** UTC day or month boundaries covering [from, to). */
export function periods(from: number, to: number, by: "day" | "month"): { label: string; start: number; end: number }[] {
  const out: { label: string; start: number; end: number }[] = [];
  const d = new Date(from);
  let start = by === "day" ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) : Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  while (start < to) {
    const s = new Date(start);
    const end = by === "day" ? start + 86_400_000 : Date.UTC(s.getUTCFullYear(), s.getUTCMonth() + 1, 1);
    out.push({ label: by === "day" ? s.toISOString().slice(0, 10) : s.toISOString().slice(0, 7), start: Math.max(start, from), end: Math.min(end, to) });
    start = end;
  }
  return out;
}

/** [a, b) minus the given sorted, merged intervals. */
function subtract(a: number, b: number, cut: readonly [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  let cur = a;
  for (const [s, e] of cut) {
    if (e <= cur || s >= b) continue;
    if (s > cur) out.push([cur, s]);
    cur = Math.max(cur, e);
  }
  if (cur < b) out.push([cur, b]);
  return out;
}

const total = (l: readonly [number, number][]) => l.reduce((n, [s, e]) => n + (e - s), 0);

/** Union of intervals, keeping the cause of the first one in each merged run. */
function union(list: Interval[]): Interval[] {
  const s = [...list].sort((x, y) => x.start - y.start);
  const out: Interval[] = [];
  for (const i of s) {
    const last = out[out.length - 1];
    if (last && i.start <= last.end) {
      if (i.end > last.end) {
        last.end = i.end;
        last.open = i.open;
      }
    } else out.push({ ...i });
  }
  return out;
}

export function computeAvailability(q: {
  node: string;
  from: number;
  to: number;
  by: "day" | "month";
  alarms: readonly AlarmRecord[];
  probes: readonly ProbeMeta[];
  windows: readonly MaintenanceWindow[];
  labels: Readonly<Record<string, string>>;
  now: number;
}): AvailabilityReport {
  const to = Math.min(q.to, q.now);
  const maint = maintenanceIntervals(q.windows, q.node, q.labels, q.from, Math.max(q.from, to));
  const probeAlarms = q.alarms.filter((a) => a.kind === "probe-unhealthy" && a.node === q.node);
  const interval = (a: AlarmRecord): Interval => ({
    start: a.alarmRaisedTime,
    end: a.alarmClearedTime ?? to,
    open: a.alarmClearedTime === undefined,
    cause: `${a.probe}: ${a.probableCause} (${a.specificProblem})`,
  });
  const meta = new Map(q.probes.map((p) => [p.name, p]));
  const subjects = new Map<string, Interval[]>();
  const add = (s: string, i?: Interval) => {
    let l = subjects.get(s);
    if (!l) subjects.set(s, l = []);
    if (i) l.push(i);
  };
  add("node");
  for (const p of q.probes) {
    add(`probe:${p.name}`);
    if (p.interface) add(`interface:${p.interface}`);
  }
  for (const a of probeAlarms) {
    const i = interval(a);
    const m = meta.get(a.probe ?? "");
    const critical = m ? m.critical : a.perceivedSeverity === "MAJOR" || a.perceivedSeverity === "CLEARED";
    if (critical) add("node", i);
    add(`probe:${a.probe}`, i);
    const iface = a.interface ?? m?.interface;
    if (iface) add(`interface:${iface}`, i);
  }
  const out: SubjectAvailability[] = [];
  for (const [subject, list] of subjects) {
    const merged = union(list);
    const ps: PeriodAvailability[] = [];
    for (const p of periods(q.from, Math.max(q.from + 1, q.to), q.by)) {
      const pend = Math.min(p.end, to);
      const measuredParts = pend > p.start ? subtract(p.start, pend, maint) : [];
      const measuredMs = total(measuredParts);
      const outages: Outage[] = [];
      let downMs = 0;
      for (const o of merged) {
        if (o.end <= p.start || o.start >= pend) continue;
        const s = Math.max(o.start, p.start), e = Math.min(o.end, pend);
        const d = total(subtract(s, e, maint));
        if (d <= 0) continue;
        downMs += d;
        outages.push({ start: s, end: e, durationMs: d, open: o.open && e >= to, cause: o.cause });
      }
      const closed = outages.filter((o) => !(o.end === pend && (o.open || merged.some((m) => m.start === o.start && m.end > pend))));
      ps.push({
        period: p.label,
        start: p.start,
        end: p.end,
        measuredMs,
        downMs,
        availability: measuredMs > 0 ? Math.round(100_000 * (measuredMs - downMs) / measuredMs) / 1000 : null,
        outages,
        mttrMs: closed.length ? Math.round(closed.reduce((n, o) => n + o.durationMs, 0) / closed.length) : null,
      });
    }
    out.push({ subject, periods: ps });
  }
  return { node: q.node, from: q.from, to: q.to, by: q.by, maintenance: maint, subjects: out };
}

const csvField = (v: string | number | null) => {
  const s = v === null ? "" : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

/** One row per subject and period (RFC 4180, CRLF line ends). */
export function availabilityCsv(r: AvailabilityReport): string {
  const rows = [["node", "subject", "period", "availability_pct", "measured_s", "down_s", "outages", "mttr_s", "causes"]];
  for (const s of r.subjects) {
    for (const p of s.periods) {
      rows.push([r.node, s.subject, p.period, p.availability === null ? "" : String(p.availability), String(Math.round(p.measuredMs / 1000)), String(Math.round(p.downMs / 1000)),
        String(p.outages.length), p.mttrMs === null ? "" : String(Math.round(p.mttrMs / 1000)), [...new Set(p.outages.map((o) => o.cause))].join("; ")]);
    }
  }
  return rows.map((r) => r.map(csvField).join(",")).join("\r\n") + "\r\n";
}
