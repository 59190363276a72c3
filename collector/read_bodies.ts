/**
 * @module The JSON bodies of the history and latency routes (collector/api.ts), built in one place
 * so a store that answers them off the ingest thread (collector/sqlite/read_thread.ts) writes the
 * same bytes as the route does from `Store.history` / `Store.latency`.
 */
import type { HistoryPoint, LatencySummary, WindowQuery } from "./store.ts";

export interface HistoryAnswer {
  readonly node: string;
  readonly probe: string;
  readonly window: WindowQuery;
  /** The step as asked (ms). */
  readonly step: number;
  readonly summary: LatencySummary;
  readonly points: readonly HistoryPoint[];
}

export function historyBody(a: HistoryAnswer): string {
  return JSON.stringify({ node: a.node, probe: a.probe, from: a.window.from, to: a.window.to, step: a.step, summary: a.summary, points: a.points });
}

export function latencyBody(probe: string, w: WindowQuery, nodes: readonly string[] | undefined, summary: LatencySummary): string {
  return JSON.stringify({ probe, from: w.from, to: w.to, nodes: nodes ?? "all", ...summary });
}
