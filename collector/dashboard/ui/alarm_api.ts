/**
 * @module The dashboard's side of the alarm API (docs/alarms.md): the list, operator actions, a
 * node's alarm history and availability. Live `alarm` events come on the page's one event stream
 * (api.ts connectLive, onAlarm).
 */
import type { AlarmView } from "./alarm_model.ts";

async function json<T>(res: Response, what: string): Promise<T> {
  if (!res.ok) {
    let detail = `HTTP ${res.status}`;
    try {
      detail = ((await res.json()) as { detail?: string }).detail ?? detail;
    } catch {
      // not problem+json
    }
    throw new Error(`Cannot ${what}: ${detail}`);
  }
  return await res.json() as T;
}

/** Every alarm in the list (active and cleared-unacknowledged), up to the API's 10,000. */
export async function fetchAlarms(signal?: AbortSignal): Promise<AlarmView[]> {
  const r = await fetch("/api/v1/alarms?limit=10000", { signal, cache: "no-store", headers: { accept: "application/json" } });
  return (await json<{ alarms: AlarmView[] }>(r, "read the alarm list")).alarms;
}

/** ack, unack or clear; needs the operator role (403 otherwise). */
export async function alarmAction(id: string, action: "ack" | "unack" | "clear"): Promise<AlarmView> {
  const r = await fetch(`/api/v1/alarms/${encodeURIComponent(id)}/${action}`, { method: "POST", headers: { accept: "application/json" } });
  return await json<AlarmView>(r, `${action === "ack" ? "acknowledge" : action === "unack" ? "unacknowledge" : "clear"} the alarm`);
}

export async function fetchNodeAlarmHistory(node: string, from: number, signal?: AbortSignal): Promise<AlarmView[]> {
  const r = await fetch(`/api/v1/alarms-history?node=${encodeURIComponent(node)}&from=${from}`, { signal, cache: "no-store" });
  return (await json<{ alarms: AlarmView[] }>(r, "read the alarm history")).alarms;
}

export interface AvailabilityView {
  readonly subjects: readonly { subject: string; periods: readonly { period: string; availability: number | null; downMs: number; outages: readonly { start: number; end: number; durationMs: number; cause: string; open: boolean }[]; mttrMs: number | null }[] }[];
}

export async function fetchAvailability(node: string, by: "day" | "month", from: number, signal?: AbortSignal): Promise<AvailabilityView> {
  const r = await fetch(`/api/v1/nodes/${encodeURIComponent(node)}/availability?by=${by}&from=${from}`, { signal, cache: "no-store" });
  return await json<AvailabilityView>(r, "read availability");
}
