/**
 * @module Maintenance windows: one-off or recurring (daily, or weekly on given days, in UTC), for
 * nodes by id or by label selector. During a window alarms are recorded but not sent northbound,
 * and availability leaves the window out (docs/alarms.md, "Maintenance").
 */
import { z } from "zod";
import { duration } from "../../common/duration.ts";

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "expected HH:MM (UTC)");

export const maintenanceInputSchema = z.strictObject({
  /** Shown in the alarm list and the availability report. */
  name: z.string().min(1).max(200),
  /** Node ids; with `labels`, a node matches either. */
  nodes: z.array(z.string().min(1).max(253)).max(10_000).optional(),
  /** Label selector: every listed label must match. */
  labels: z.record(z.string().max(100), z.string().max(200)).optional(),
  /** One-off: start and end (epoch ms or ISO 8601). */
  start: z.union([z.number().int().nonnegative(), z.iso.datetime({ offset: true })]).optional(),
  end: z.union([z.number().int().nonnegative(), z.iso.datetime({ offset: true })]).optional(),
  /** Recurring: daily, or weekly on `days` (0 = Sunday), from `at` (UTC) for `duration`. */
  recurrence: z.strictObject({
    every: z.enum(["day", "week"]),
    days: z.array(z.number().int().min(0).max(6)).min(1).optional(),
    at: hhmm,
    duration,
  }).optional(),
}).refine((w) => (w.nodes && w.nodes.length > 0) || (w.labels && Object.keys(w.labels).length > 0), "set nodes or labels: a window must select something")
  .refine((w) => (w.recurrence === undefined) !== (w.start === undefined && w.end === undefined), "set either start and end (one-off) or recurrence")
  .refine((w) => w.recurrence !== undefined || (w.start !== undefined && w.end !== undefined && toMs(w.start) < toMs(w.end)), "a one-off window needs start < end")
  .refine((w) => w.recurrence === undefined || w.recurrence.every === "week" || w.recurrence.days === undefined, "days only apply to weekly windows")
  .refine((w) => w.recurrence === undefined || (w.recurrence.duration > 0 && w.recurrence.duration <= 7 * 86_400_000), "recurrence.duration must be more than 0 and at most 7 days");

export type MaintenanceInput = z.input<typeof maintenanceInputSchema>;

export interface MaintenanceWindow {
  readonly id: string;
  readonly name: string;
  readonly nodes?: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
  readonly start?: number;
  readonly end?: number;
  readonly recurrence?: { readonly every: "day" | "week"; readonly days?: readonly number[]; readonly at: string; readonly duration: number };
  readonly createdBy: string;
  readonly createdAt: number;
}

function toMs(v: number | string): number {
  return typeof v === "number" ? v : Date.parse(v);
}

/** Validated input → a stored window. */
export function newWindow(input: z.output<typeof maintenanceInputSchema>, id: string, user: string, now: number): MaintenanceWindow {
  return {
    id,
    name: input.name,
    ...(input.nodes ? { nodes: input.nodes } : {}),
    ...(input.labels ? { labels: input.labels } : {}),
    ...(input.start !== undefined ? { start: toMs(input.start) } : {}),
    ...(input.end !== undefined ? { end: toMs(input.end) } : {}),
    ...(input.recurrence ? { recurrence: input.recurrence } : {}),
    createdBy: user,
    createdAt: now,
  };
}

export function selects(w: MaintenanceWindow, node: string, labels: Readonly<Record<string, string>>): boolean {
  if (w.nodes?.includes(node)) return true;
  if (w.labels && Object.keys(w.labels).length > 0) return Object.entries(w.labels).every(([k, v]) => labels[k] === v);
  return false;
}

const DAY = 86_400_000;

/** The window's occurrences overlapping [from, to), as [start, end) pairs, in order. */
export function occurrences(w: MaintenanceWindow, from: number, to: number): [number, number][] {
  if (w.start !== undefined && w.end !== undefined) return w.end > from && w.start < to ? [[Math.max(w.start, from), Math.min(w.end, to)]] : [];
  const r = w.recurrence;
  if (!r) return [];
  const [h, m] = r.at.split(":").map(Number);
  const out: [number, number][] = [];
  // Start one duration early so an occurrence that began before `from` is included.
  const first = Math.floor((from - r.duration) / DAY) * DAY;
  for (let day = first; day < to; day += DAY) {
    if (r.every === "week" && r.days && !r.days.includes(new Date(day).getUTCDay())) continue;
    const s = day + h * 3_600_000 + m * 60_000, e = s + r.duration;
    if (e > from && s < to) out.push([Math.max(s, from), Math.min(e, to)]);
  }
  return out;
}

/** The windows covering a node at `t`. */
export function activeWindows(windows: readonly MaintenanceWindow[], node: string, labels: Readonly<Record<string, string>>, t: number): MaintenanceWindow[] {
  return windows.filter((w) => selects(w, node, labels) && occurrences(w, t, t + 1).length > 0);
}

/** Merged maintenance intervals of a node within [from, to). Bounded: at most 400 days × windows. */
export function maintenanceIntervals(windows: readonly MaintenanceWindow[], node: string, labels: Readonly<Record<string, string>>, from: number, to: number): [number, number][] {
  const all: [number, number][] = [];
  for (const w of windows) if (selects(w, node, labels)) all.push(...occurrences(w, from, to));
  return mergeIntervals(all);
}

export function mergeIntervals(list: [number, number][]): [number, number][] {
  const s = [...list].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [a, b] of s) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}
