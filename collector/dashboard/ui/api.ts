/**
 * @module The dashboard's browser side of the collector's fleet API (design.md: /api/v1/fleet,
 * /api/v1/nodes/:id, probe history, server-sent events). Same origin only: the page is served by
 * the collector it talks to.
 */
import type { FleetChange, HistoryPoint, NodeDetail, NodeSummary } from "../../store.ts";

/** Server time minus browser time, from the Date header (a wall PC's clock may be off). */
let clockOffsetMs = 0;

export function serverNow(): number {
  return Date.now() + clockOffsetMs;
}

/** Correct the clock offset from an answer's Date header. */
export function noteServerDate(res: Response): void {
  const date = res.headers.get("date");
  if (date) {
    const t = Date.parse(date);
    // The Date header has one-second resolution: only correct offsets larger than that.
    if (Number.isFinite(t) && Math.abs(t - Date.now() - clockOffsetMs) > 2000) clockOffsetMs = t - Date.now();
  }
}

async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, { signal, headers: { accept: "application/json" }, cache: "no-store" });
  if (!res.ok) throw new Error(`Cannot GET ${path}: HTTP ${res.status}`);
  noteServerDate(res);
  return await res.json() as T;
}

/** `GET /api/v1/fleet` answers `{ generatedAt, nodes }` (collector/api.ts). */
export async function fetchFleet(signal?: AbortSignal): Promise<NodeSummary[]> {
  const body = await getJson<{ generatedAt?: number; nodes: NodeSummary[] }>("/api/v1/fleet", signal);
  // The collector's clock in ms, better than the Date header's whole seconds.
  if (typeof body.generatedAt === "number") clockOffsetMs = body.generatedAt - Date.now();
  return body.nodes;
}

export function fetchNode(id: string, signal?: AbortSignal): Promise<NodeDetail> {
  return getJson<NodeDetail>(`/api/v1/nodes/${encodeURIComponent(id)}`, signal);
}

/** Per-minute history of one probe over [from, to) (epoch ms). */
export async function fetchHistory(id: string, probe: string, from: number, to: number, signal?: AbortSignal): Promise<HistoryPoint[]> {
  const q = new URLSearchParams({ from: String(from), to: String(to), step: "1m" });
  const body = await getJson<{ points: HistoryPoint[] }>(
    `/api/v1/nodes/${encodeURIComponent(id)}/probes/${encodeURIComponent(probe)}/history?${q}`,
    signal,
  );
  return body.points;
}

export type Connection = "connecting" | "live" | "offline";

export interface LiveOptions {
  onChange(change: FleetChange): void;
  onConnection(state: Connection): void;
  /** Called on every (re)connect: events may have been missed, so resync. */
  onOpen(): void;
  /** An alarm notification (event `alarm`, docs/alarms.md) on the same stream. */
  onAlarm?(notification: unknown): void;
}

/**
 * A listener for the `alarm` events (docs/alarms.md), to add to the page's one event stream: a
 * browser holds at most 6 HTTP/1.1 connections per host, and every open EventSource keeps one.
 */
export function onAlarm(fn: (notification: unknown) => void): (ev: MessageEvent) => void {
  return (ev) => {
    try {
      fn(JSON.parse(ev.data));
    } catch {
      // not JSON: nothing to apply
    }
  };
}

export interface EventsOptions {
  /** Path and query of the event stream, e.g. `/api/v1/events?types=grid`. */
  readonly path: string;
  /** One listener per named event. */
  readonly on: Readonly<Record<string, (ev: MessageEvent) => void>>;
  onConnection(state: Connection): void;
  /** Called on every (re)connect: events may have been missed, so resync. */
  onOpen(): void;
}

/**
 * Subscribe to an event stream of the collector. EventSource retries by itself after a network
 * error, but gives up for good on an HTTP error or a wrong content type (WHATWG HTML §9.2 "fail
 * the connection"), so a closed source is replaced here with a capped backoff (1 s up to 15 s).
 * Returns the stop function.
 */
export function connectEvents(opts: EventsOptions): () => void {
  let es: EventSource | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let backoff = 1000;
  let stopped = false;
  const open = () => {
    if (stopped) return;
    opts.onConnection("connecting");
    es = new EventSource(opts.path);
    es.onopen = () => {
      backoff = 1000;
      opts.onConnection("live");
      opts.onOpen();
    };
    for (const [name, fn] of Object.entries(opts.on)) es.addEventListener(name, fn as EventListener);
    es.onerror = () => {
      if (!es || es.readyState === EventSource.CLOSED) {
        opts.onConnection("offline");
        es?.close();
        retry = setTimeout(open, backoff);
        backoff = Math.min(backoff * 2, 15_000);
      } else {
        opts.onConnection("connecting");
      }
    };
  };
  open();
  return () => {
    stopped = true;
    clearTimeout(retry);
    es?.close();
  };
}

/** The store's fleet changes (`node`, `probe-state`, `event`) as they happen. Returns the stop function. */
export function connectLive(opts: LiveOptions): () => void {
  const handle = (ev: MessageEvent) => {
    try {
      const change = JSON.parse(ev.data) as FleetChange;
      if (change && typeof change === "object" && typeof change.type === "string") opts.onChange(change);
    } catch {
      // A comment or keep-alive that is not JSON: nothing to apply.
    }
  };
  return connectEvents({
    path: `/api/v1/events?types=node,probe-state,event${opts.onAlarm ? ",alarm" : ""}`,
    on: { message: handle, node: handle, "probe-state": handle, event: handle, ...(opts.onAlarm ? { alarm: onAlarm(opts.onAlarm) } : {}) },
    onConnection: opts.onConnection,
    onOpen: opts.onOpen,
  });
}
