/** @module Between SQLite rows and the read model (collector/read_model.ts): the only place that knows column names. */
import type { Row, SqlValue } from "../../runtime/sqlite.ts";
import type { Facts } from "../../telemetry/record.ts";
import { deserializeSketch, serializeDense, serializeSketch } from "../sketch.ts";
import type { MinuteAgg } from "../batch_aggregate.ts";
import { type MinuteSlot, newNodeMem, newProbeMem, type NodeMem, type ProbeMem, type StreamMem } from "../read_model.ts";
import type { EventView, NodeSummary, ProbeView } from "../store.ts";

export const num = (v: unknown): number => (typeof v === "bigint" ? Number(v) : (v as number));
const str = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));
const json = <T>(v: unknown): T | undefined => (typeof v === "string" ? JSON.parse(v) as T : undefined);

export function streamFromRow(r: Row): StreamMem {
  return {
    agentId: String(r.agent_id),
    bootId: String(r.boot_id),
    acked: num(r.acked),
    drops: num(r.spool_drops),
    firstSeen: num(r.first_seen),
    lastSeen: num(r.last_seen),
    gap: num(r.gap),
    ...(r.hole_from !== null && r.hole_from !== undefined ? { hole: { from: num(r.hole_from), to: num(r.hole_to) } } : {}),
  };
}

export const streamParams = (s: StreamMem): SqlValue[] => [s.agentId, s.bootId, s.acked, s.firstSeen, s.lastSeen, s.gap, s.drops, s.hole?.from ?? null, s.hole?.to ?? null];

export function nodeFromRow(r: Row): NodeMem {
  // The fields in newNodeMem's order (read_model.ts: one shape for every node).
  const n = newNodeMem(String(r.agent_id), String(r.boot_id), num(r.first_seen));
  n.labels = json<Record<string, string>>(r.labels) ?? {};
  if (r.version) n.version = String(r.version);
  n.lastSeen = num(r.last_seen);
  if (r.last_record_at !== null) n.lastRecordAt = num(r.last_record_at);
  if (r.verdict) n.verdict = String(r.verdict) as NodeSummary["verdict"];
  n.running = num(r.running) === 1;
  n.spoolDrops = num(r.spool_drops);
  n.peerRestarts = num(r.peer_restarts);
  if (r.open_from !== null && r.open_from !== undefined) {
    n.openFrom = num(r.open_from);
    n.openRowid = num(r.open_rowid);
  }
  return n;
}

export const nodeParams = (n: NodeMem): SqlValue[] => [
  n.id, JSON.stringify(n.labels), n.version ?? null, n.bootId, n.firstSeen, n.lastSeen, n.lastRecordAt ?? null,
  n.verdict ?? null, n.running ? 1 : 0, n.spoolDrops, n.peerRestarts, n.openFrom ?? null, n.openFrom === undefined ? null : n.openRowid ?? null,
];

export function probeFromRow(r: Row): ProbeMem {
  const p = newProbeMem(String(r.agent_id), String(r.probe));
  p.kind = str(r.kind) ?? "";
  p.state = (str(r.state) ?? "unknown") as ProbeView["state"];
  if (r.state_since !== null) p.stateSince = num(r.state_since);
  if (r.last_at !== null) {
    const failure = json<NonNullable<ProbeMem["last"]>["failure"]>(r.last_failure);
    p.last = { at: num(r.last_at), ok: num(r.last_ok) === 1, latencyUs: num(r.last_latency_us), ...(failure ? { failure } : {}) };
  }
  if (r.facts) p.facts = json<Facts>(r.facts);
  p.peerRestarts = num(r.peer_restarts);
  p.okTotal = num(r.ok_total);
  p.failTotal = num(r.fail_total);
  p.persistedMax = Infinity;
  p.hours.persistedMax = Infinity;
  p.days.persistedMax = Infinity;
  return p;
}

/** A node's probes as one JSON row (`node_probes`); minutes are not part of it. */
export function probesJson(n: NodeMem): string {
  const out: unknown[] = [];
  for (const p of n.probes.values()) {
    out.push([p.name, p.kind, p.state, p.stateSince ?? null, p.last ?? null, p.facts ?? null, p.peerRestarts, p.okTotal, p.failTotal]);
  }
  return JSON.stringify(out);
}

export function probesFromJson(node: string, body: string): ProbeMem[] {
  return (JSON.parse(body) as unknown[][]).map(([name, kind, state, stateSince, last, facts, restarts, ok, fail]) => {
    const p = newProbeMem(node, String(name));
    p.kind = String(kind);
    p.state = state as ProbeView["state"];
    if (stateSince !== null) p.stateSince = stateSince as number;
    if (last !== null) p.last = last as ProbeMem["last"];
    if (facts !== null) p.facts = facts as Facts;
    p.peerRestarts = restarts as number;
    p.okTotal = ok as number;
    p.failTotal = fail as number;
    // Minutes of this probe may be in the table: read before merging into one.
    p.persistedMax = Infinity;
    p.hours.persistedMax = Infinity;
    p.days.persistedMax = Infinity;
    return p;
  });
}

export function minuteFromRow(r: Row): MinuteAgg {
  return { count: num(r.count), ok: num(r.ok), failures: json<Record<string, number>>(r.failures) ?? {}, sketch: deserializeSketch(r.sketch as Uint8Array) };
}

/** Empty failure maps are the common case: skip JSON for them. */
/** A read-model slot's row, serialized straight from its dense histogram (no Sketch built). */
export const slotParams = (node: string, probe: string, t: number, s: MinuteSlot): SqlValue[] => {
  let any = false;
  for (const _ in s.failures) {
    any = true;
    break;
  }
  return [node, probe, t, s.count, s.ok, any ? JSON.stringify(s.failures) : "{}", serializeDense(s.hist)];
};

/**
 * A node's hour or day row (read_model.ts rollupWrite): the slot, or the slot less its open
 * minute (`minus`), holding the minutes up to `through` (null: the whole period).
 */
export const rollupParams = (node: string, probe: string, t: number, s: MinuteSlot, through: number | null, minus?: MinuteSlot): SqlValue[] => {
  if (!minus) return [...slotParams(node, probe, t, s), through];
  let failures: Record<string, number> | undefined;
  for (const k in s.failures) {
    const v = s.failures[k] - (minus.failures?.[k] ?? 0);
    if (v !== 0) (failures ??= {})[k] = v;
  }
  return [node, probe, t, s.count - minus.count, s.ok - minus.ok, failures ? JSON.stringify(failures) : "{}", serializeDense(s.hist, minus.hist), through];
};

export const minuteParams = (node: string, probe: string, minute: number, m: MinuteAgg): SqlValue[] => {
  let any = false;
  for (const _ in m.failures) {
    any = true;
    break;
  }
  return [node, probe, minute, m.count, m.ok, any ? JSON.stringify(m.failures) : "{}", serializeSketch(m.sketch)];
};

export function eventFromRow(r: Row): EventView {
  return {
    seq: num(r.seq),
    bootId: String(r.boot_id),
    at: num(r.at),
    type: String(r.type),
    ...(r.probe !== null ? { probe: String(r.probe) } : {}),
    detail: json<Record<string, unknown>>(r.body) ?? {},
  };
}
