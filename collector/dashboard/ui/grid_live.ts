/**
 * @module The fleet grid kept live in the browser: `GET /api/v1/fleet/grid` once (then with
 * If-None-Match), and the `grid` deltas of `/api/v1/events?types=grid` applied to any node,
 * whether or not it is on screen. The same stream carries the `alarm` events when asked for. A delta that does not follow the held version (missed while
 * reconnecting, or another collector process) triggers one re-read of the grid.
 */
import { applyDelta, type GridDelta, type GridModel, type GridSnapshot, modelFromSnapshot } from "../../fleet_grid_format.ts";
import { type Connection, connectEvents, noteServerDate, onAlarm } from "./api.ts";

export interface GridLiveOptions {
  /** The model changed (a new snapshot or applied deltas). Called at most once per task. */
  onModel(m: GridModel): void;
  onConnection(state: Connection): void;
  onError(message: string | undefined): void;
  /**
   * Alarm notifications (event `alarm`) on the same stream: one EventSource per page, since a
   * browser holds at most 6 HTTP/1.1 connections per host and every open EventSource keeps one.
   */
  onAlarm?(notification: unknown): void;
  /** The stream (re)opened: alarm events may have been missed too. */
  onOpen?(): void;
}

/** Re-reads after a gap at most this often, so a collector that restarts in a loop is not hammered. */
const MIN_RESYNC_MS = 1000;

export function connectGrid(opts: GridLiveOptions): () => void {
  let model: GridModel | undefined;
  let etag: string | undefined;
  let loading = false;
  let again = false;
  let lastLoad = 0;
  let waiting = false;
  /** Deltas that arrived while the grid was being read, applied after it. */
  let pending: GridDelta[] = [];

  const drain = () => {
    if (!model) return;
    let gap = false;
    for (const d of pending) if (applyDelta(model, d) === "gap") gap = true;
    pending = [];
    opts.onModel(model);
    if (gap) load();
  };

  const load = () => {
    if (loading) {
      again = true;
      return;
    }
    const wait = lastLoad + MIN_RESYNC_MS - Date.now();
    if (wait > 0) {
      if (!waiting) {
        waiting = true;
        setTimeout(() => {
          waiting = false;
          load();
        }, wait);
      }
      return;
    }
    loading = true;
    lastLoad = Date.now();
    const headers: Record<string, string> = { accept: "application/json" };
    if (etag && model) headers["if-none-match"] = etag;
    fetch("/api/v1/fleet/grid", { headers, cache: "no-store" })
      .then(async (res) => {
        noteServerDate(res);
        if (res.status === 304) return;
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const snap = await res.json() as GridSnapshot;
        model = modelFromSnapshot(snap);
        etag = res.headers.get("etag") ?? undefined;
      })
      .then(() => {
        opts.onError(undefined);
        drain();
      })
      .catch((e) => opts.onError(`Cannot read the fleet from the collector: ${(e as Error).message ?? e}`))
      .finally(() => {
        loading = false;
        if (again) {
          again = false;
          load();
        }
      });
  };

  const onDelta = (ev: MessageEvent) => {
    let d: GridDelta;
    try {
      d = JSON.parse(ev.data) as GridDelta;
    } catch {
      return;
    }
    pending.push(d);
    if (!loading) drain();
  };

  const stop = connectEvents({
    path: `/api/v1/events?types=grid${opts.onAlarm ? ",alarm" : ""}`,
    on: { grid: onDelta, ...(opts.onAlarm ? { alarm: onAlarm(opts.onAlarm) } : {}) },
    onConnection: opts.onConnection,
    // Deltas may have been missed while disconnected: re-read (a 304 when nothing changed).
    onOpen: () => (load(), opts.onOpen?.()),
  });
  // Show the fleet even if the event stream cannot open.
  load();
  return stop;
}
