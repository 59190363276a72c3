/**
 * @module The collector's storage contract. collector/sqlite_store.ts implements it on an
 * embedded SQLite file; a JetStream-backed store can implement the same interface, and the fleet
 * API, SSE and /metrics only ever talk to a `Store`.
 */
import type { Batch, TelemetryRecord } from "../telemetry/record.ts";
import type { FailureKind, ProbeState, Verdict } from "../telemetry/wire_tables.ts";

/** What ingest did with one batch. */
export interface IngestOutcome {
  readonly agentId: string;
  readonly bootId: string;
  /** Highest seq of (agentId, bootId) held with nothing missing below it (or declared lost). */
  readonly ack: number;
  /** Records stored from this batch. */
  readonly stored: number;
  /** Records of this batch already held (a replay): ignored. */
  readonly duplicates: number;
  /** Seqs skipped between the previous ack and this batch: records the agent dropped from a full spool. */
  readonly gap: number;
}

export interface LastResult {
  readonly at: number;
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly failure?: { readonly kind: FailureKind; readonly message?: string; readonly reason?: string };
}

export interface NodeSummary {
  readonly id: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly version?: string;
  readonly bootId: string;
  readonly firstSeen: number;
  readonly lastSeen: number;
  /** Time of the newest record (agent clock). */
  readonly lastRecordAt?: number;
  readonly verdict?: Verdict;
  /** False after an agent-stop record until the next record. */
  readonly running: boolean;
  readonly probes: { readonly total: number; readonly healthy: number; readonly unhealthy: number; readonly unknown: number };
  readonly peerRestarts: number;
  readonly spoolDrops: number;
}

export interface ProbeView {
  readonly name: string;
  readonly kind: string;
  readonly state: ProbeState;
  readonly stateSince?: number;
  readonly last?: LastResult;
  readonly facts?: Readonly<Record<string, string | number | boolean>>;
  readonly peerRestarts: number;
  readonly okTotal: number;
  readonly failTotal: number;
}

/** A non-probe-result record as kept for a node's recent events. */
export interface EventView {
  readonly seq: number;
  readonly bootId: string;
  readonly at: number;
  readonly type: string;
  readonly probe?: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface NodeDetail extends NodeSummary {
  readonly probeList: readonly ProbeView[];
  readonly events: readonly EventView[];
}

export interface LatencySummary {
  readonly count: number;
  readonly ok: number;
  readonly failures: Readonly<Partial<Record<FailureKind, number>>>;
  /** Milliseconds, within `relativeError` of the raw samples' quantiles; absent when count is 0. */
  readonly p50?: number;
  readonly p90?: number;
  readonly p99?: number;
  readonly relativeError: number;
}

export interface HistoryPoint extends LatencySummary {
  /** Start of the step (epoch ms). */
  readonly t: number;
}

export interface WindowQuery {
  /** Epoch ms, inclusive; minute resolution. */
  readonly from: number;
  /** Epoch ms, exclusive. */
  readonly to: number;
}

export type FleetChange =
  | { readonly type: "node"; readonly node: NodeSummary }
  | { readonly type: "probe-state"; readonly node: string; readonly probe: string; readonly from: ProbeState; readonly to: ProbeState; readonly at: number }
  | { readonly type: "event"; readonly node: string; readonly event: EventView };

export interface StoreStats {
  readonly nodes: number;
  readonly records: number;
  readonly duplicates: number;
  readonly gapRecords: number;
}

/**
 * A read the store cannot answer now and will soon: the partition that holds the node has no
 * owner yet (a takeover) or its owner is still replaying it (docs/scale-out.md, "Takeover and
 * replay"). The API answers 503 with Retry-After rather than a partial answer or a 500.
 */
export class StoreUnavailableError extends Error {
  constructor(message: string, readonly retryAfterS = 1, options?: ErrorOptions) {
    super(message, options);
    this.name = "StoreUnavailableError";
  }
}

export interface Store {
  /**
   * Store a decoded batch atomically and answer the new ack. Idempotent on (agentId, bootId, seq):
   * a replayed record is counted as a duplicate and changes nothing. The ack is only returned
   * once the batch is durable (a process crash after it loses nothing).
   * @param wire the batch's encoded bytes when the caller has them, so a store that keeps raw
   *   batches can keep them verbatim instead of encoding again.
   */
  ingest(batch: Batch, receivedAt: number, wire?: Uint8Array): Promise<IngestOutcome>;
  /**
   * Ingest steering (docs/scale-out.md, "Seventh pass"): the base URL of the collector that
   * consumes `agentId`'s records, when that is another collector that advertises one; the
   * ingest answer names it (header `Edgeprobe-Steer`). Answers from what is known now and never
   * waits (a lookup it needs runs in the background: calling it before `ingest` warms it).
   * Optional: a store without it (SQLite) never steers.
   */
  steer?(agentId: string): string | undefined;
  fleet(now: number): Promise<NodeSummary[]>;
  node(id: string, now: number): Promise<NodeDetail | undefined>;
  /** Per-step latency and outcome counts of one probe on one node; undefined if unknown. */
  history(node: string, probe: string, window: WindowQuery, stepMs: number): Promise<HistoryPoint[] | undefined>;
  /** One probe name over a window, merged across `nodes` (all nodes when omitted). */
  latency(probe: string, window: WindowQuery, nodes?: readonly string[]): Promise<LatencySummary>;
  /**
   * `history` with the node's summary, as the history route's JSON body (collector/read_bodies.ts),
   * and `latency` as the latency route's: optional, for a store that answers heavy reads off the
   * thread that ingests and serves the fleet API (collector/sqlite/read_thread.ts) and hands the
   * bytes over without building objects on that thread. `stepMs` is echoed as asked.
   */
  historyBody?(node: string, probe: string, window: WindowQuery, stepMs: number): Promise<Uint8Array<ArrayBuffer> | undefined>;
  latencyBody?(probe: string, window: WindowQuery, nodes?: readonly string[]): Promise<Uint8Array<ArrayBuffer>>;
  /** Every (node, probe) with its current view, for /metrics. */
  probes(): Promise<{ readonly node: string; readonly probe: ProbeView }[]>;
  stats(): Promise<StoreStats>;
  /** Delete raw records (batches) older than `rawBefore`, and histograms and events older than `minutesBefore`. */
  prune(rawBefore: number, minutesBefore: number): Promise<{ readonly records: number; readonly minutes: number }>;
  /**
   * Forget nodes (and streams) last seen before `lastSeenBefore`: rows and in-memory state.
   * Returns the retired node ids. Optional: a store without it keeps every node.
   */
  retire?(lastSeenBefore: number): Promise<readonly string[]>;
  /** Live changes after each ingest (for SSE). Returns the unsubscribe function. */
  subscribe(listener: (change: FleetChange) => void): () => void;
  close(): Promise<void>;
}

/** Records of a batch that are new, given the stream's current ack (shared by every Store). */
export function newRecords(records: readonly TelemetryRecord[], acked: number): { fresh: readonly TelemetryRecord[]; duplicates: number; gap: number } {
  let i = 0;
  while (i < records.length && records[i].seq <= acked) i++;
  const fresh = records.slice(i);
  // The agent sends only from the head of its spool, so a batch that starts past ack+1 means the
  // records in between were dropped from a full spool (a spool-drop record says so).
  const gap = fresh.length > 0 && fresh[0].seq > acked + 1 ? fresh[0].seq - acked - 1 : 0;
  return { fresh, duplicates: i, gap };
}
