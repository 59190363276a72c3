/**
 * @module What one agent may put into the collector, checked after decoding and before the store
 * (docs/security.md "Hostile ingest"). Every check is O(1) per record (bounded loops over at most
 * `maxFactsPerRecord` facts or `maxProbesPerAgent` names), so the hot path stays cheap.
 *
 * - names: agent ids, boot ids, probe names and kinds follow telemetry/names.ts, the agent
 *   config's own rule;
 * - sizes: facts per record, string lengths, list lengths;
 * - probes per agent and nodes per collector: counted in memory (seeded from the store at start);
 * - record times outside `receivedAt ± recordTimeWindowMs` are clamped to `receivedAt` and
 *   counted: an agent that booted in 1970 before NTP keeps its data, and nobody can date a
 *   record in the year 275760.
 */
import { AGENT_ID_PATTERN, BOOT_ID_PATTERN, type Batch, DECODE_BATCH_LIMITS, type DecodeBatchLimits, NAME_PATTERN, type TelemetryRecord } from "../telemetry/mod.ts";

export interface IngestLimits {
  /** @default 10000 (the agent's largest `batch.maxRecords`) */
  readonly maxRecordsPerBatch: number;
  /** Facts of a probe record or peer-restart detail. @default 64 */
  readonly maxFactsPerRecord: number;
  /** Characters of a failure message, fact value, label, version or reason. @default 1024 */
  readonly maxStringLength: number;
  /** Distinct probe names one agent may report. @default 1000 */
  readonly maxProbesPerAgent: number;
  /** Distinct agent ids the collector holds. @default 10000 */
  readonly maxNodes: number;
  /** Distinct (agent, probe) pairs in all. @default 500000 (about 50 MB of names in memory) */
  readonly maxProbes: number;
  /** Record times further than this from the receive time are clamped to it. @default 24h */
  readonly recordTimeWindowMs: number;
}

export const INGEST_LIMIT_DEFAULTS: IngestLimits = {
  maxRecordsPerBatch: 10_000,
  maxFactsPerRecord: 64,
  maxStringLength: 1024,
  maxProbesPerAgent: 1000,
  maxNodes: 10_000,
  maxProbes: 500_000,
  recordTimeWindowMs: 24 * 3_600_000,
};

/** A refused batch: a problem type slug and a sentence naming the limit. */
export interface LimitViolation {
  readonly type: "limit-exceeded" | "bad-name";
  readonly status: 400 | 403;
  readonly detail: string;
}

export interface IngestGuard {
  /** Check a decoded batch; clamps record times in place. */
  /**
   * `configured`: the agent id has its own token in the config, so it is always admitted as a
   * node (maxNodes binds only ids that come with the shared token).
   */
  check(batch: Batch, receivedAt: number, configured?: boolean): { readonly violation?: LimitViolation; readonly clamped: number };
  /** Remember what a stored batch brought (its agent and probe names). */
  accepted(batch: Batch): void;
  /** Seed from the store at start: every (node, probe) it holds. */
  seed(pairs: Iterable<{ readonly node: string; readonly probe: string }>, nodes: Iterable<string>): void;
  /** A retired node's names are forgotten. */
  forget(agentId: string): void;
  nodes(): number;
  /** Take new limits (SIGHUP). */
  reload(limits: IngestLimits): void;
  /** What decodeBatch enforces before any record is built. */
  decodeLimits(): DecodeBatchLimits;
}

/**
 * Highest seq accepted: an agent writing a million records a second for eight years stays below
 * it; anything above is an attempt to move an ack out of reach (seq_admit.ts).
 */
export const MAX_SEQ = 2 ** 48;

const KIND = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const FACT_KEY = /^[A-Za-z0-9_.:-]{1,64}$/;

export function createIngestGuard(initial: IngestLimits): IngestGuard {
  let l = initial;
  const probesOf = new Map<string, Set<string>>();
  let probesTotal = 0;
  let decode: DecodeBatchLimits = { ...DECODE_BATCH_LIMITS, maxRecords: initial.maxRecordsPerBatch };
  const bad = (detail: string): LimitViolation => ({ type: "bad-name", status: 400, detail: `Cannot accept telemetry: ${detail}` });
  const over = (detail: string, status: 400 | 403 = 400): LimitViolation => ({ type: "limit-exceeded", status, detail: `Cannot accept telemetry: ${detail}` });
  const str = (v: unknown) => typeof v !== "string" || v.length <= l.maxStringLength;
  /**
   * Fact names that passed FACT_KEY, so the pattern runs once per name and not per record and
   * name (most probe records carry facts: 65 % of the simulator's). Bounded as `kindsOk` is.
   */
  const keysOk = new Set<string>();
  const keyOk = (k: string) => {
    if (keysOk.has(k)) return true;
    if (!FACT_KEY.test(k)) return false;
    if (keysOk.size < 256) keysOk.add(k);
    return true;
  };
  const factsOk = (f: Readonly<Record<string, unknown>> | undefined): string | undefined => {
    if (!f) return undefined;
    let n = 0;
    for (const k in f) {
      if (++n > l.maxFactsPerRecord) return `more than limits.maxFactsPerRecord = ${l.maxFactsPerRecord} facts`;
      if (!keyOk(k)) return `fact name ${JSON.stringify(k.slice(0, 80))} is not 1-64 letters, digits, _ . : -`;
      if (!str(f[k])) return `fact ${k} is longer than limits.maxStringLength = ${l.maxStringLength}`;
    }
    return undefined;
  };
  const names = (list: readonly string[], what: string): string | undefined => {
    if (list.length > l.maxProbesPerAgent) return `${what} lists ${list.length} names, more than limits.maxProbesPerAgent = ${l.maxProbesPerAgent}`;
    for (const n of list) if (!NAME_PATTERN.test(n)) return `${what} holds ${JSON.stringify(n.slice(0, 80))}, not a probe name`;
    return undefined;
  };

  /**
   * Kinds that passed KIND, so the pattern runs once per kind and not per record (a profile of
   * ingest had the per-record checks at ~4 % of its samples). Bounded: past 64 the pattern runs.
   */
  const kindsOk = new Set<string>();
  const kindOk = (k: string) => {
    if (kindsOk.has(k)) return true;
    if (!KIND.test(k)) return false;
    if (kindsOk.size < 64) kindsOk.add(k);
    return true;
  };
  /** Batches whose probe names were all known at check(): accepted() has nothing to add. */
  const nothingNew = new WeakSet<Batch>();

  /**
   * The facts object checked last (within one check() call): the wire's "same facts as this
   * probe's last" marker gives records the same object (telemetry/codec.ts), which is not
   * checked again.
   */
  let factsSeen: object | undefined;
  /** A probe result's failure text and facts. */
  const probeSizes = (r: Extract<TelemetryRecord, { type: "probe" }>): string | undefined => {
    if (r.failure && (!str(r.failure.message) || !str(r.failure.reason))) return `a failure message is longer than limits.maxStringLength = ${l.maxStringLength}`;
    const f = r.facts;
    if (!f || f === factsSeen) return undefined;
    const p = factsOk(f);
    if (!p) factsSeen = f;
    return p;
  };

  /**
   * One record: a sentence when it breaks a rule. `seen(name)`: the agent's name was checked by
   * NAME_PATTERN before (names are remembered only after passing it), so it is not tested again.
   */
  const recordProblem = (r: TelemetryRecord, newProbe: (name: string) => boolean, seen: (name: string) => boolean): string | undefined => {
    switch (r.type) {
      case "probe":
        if (!seen(r.probe) && !NAME_PATTERN.test(r.probe)) return `probe name ${JSON.stringify(r.probe.slice(0, 80))} is not letters, digits, _ . : - (at most 63)`;
        if (!newProbe(r.probe)) return `agent reports more than limits.maxProbesPerAgent = ${l.maxProbesPerAgent} probes, or the collector holds limits.maxProbes = ${l.maxProbes}`;
        if (!kindOk(r.kind)) return `probe kind ${JSON.stringify(r.kind.slice(0, 80))} is not 1-32 lowercase letters, digits, _ -`;
        return probeSizes(r);
      case "state":
        if (!NAME_PATTERN.test(r.probe)) return `probe name ${JSON.stringify(r.probe.slice(0, 80))} is not letters, digits, _ . : - (at most 63)`;
        return newProbe(r.probe) ? undefined : `agent reports more than limits.maxProbesPerAgent = ${l.maxProbesPerAgent} probes, or the collector holds limits.maxProbes = ${l.maxProbes}`;
      case "peer-restart":
        if (!NAME_PATTERN.test(r.probe)) return `probe name ${JSON.stringify(r.probe.slice(0, 80))} is not letters, digits, _ . : - (at most 63)`;
        return factsOk(r.detail);
      case "verdict":
        return names(r.causes, "a verdict's causes");
      case "config-reload":
        return names(r.added, "config-reload added") ?? names(r.removed, "config-reload removed") ?? names(r.changed, "config-reload changed");
      case "agent-start": {
        if (r.version.length > 64) return "the agent version is longer than 64 characters";
        const p = factsOk(r.labels);
        return p ? `labels: ${p}` : undefined;
      }
      case "agent-stop":
        return str(r.reason) ? undefined : `the stop reason is longer than limits.maxStringLength = ${l.maxStringLength}`;
      case "spool-drop":
        return undefined;
    }
  };

  return {
    check(batch, receivedAt, configured = false) {
      if (!AGENT_ID_PATTERN.test(batch.agentId)) return { violation: bad(`agent id ${JSON.stringify(batch.agentId.slice(0, 80))} is not letters, digits, _ . : - (at most 253)`), clamped: 0 };
      if (!BOOT_ID_PATTERN.test(batch.bootId)) return { violation: bad(`boot id ${JSON.stringify(batch.bootId.slice(0, 80))} is not 1-64 letters, digits, _ . : -`), clamped: 0 };
      if (batch.records.length > l.maxRecordsPerBatch) return { violation: over(`${batch.records.length} records, more than limits.maxRecordsPerBatch = ${l.maxRecordsPerBatch}`), clamped: 0 };
      const lastSeq = batch.records.length > 0 ? batch.records[batch.records.length - 1].seq : 0;
      if (lastSeq > MAX_SEQ) return { violation: over(`seq ${lastSeq} is above the highest an agent reaches (2^48)`), clamped: 0 };
      const known = probesOf.get(batch.agentId);
      if (!known && !configured && probesOf.size >= l.maxNodes) return { violation: over(`a new agent id, and the collector holds limits.maxNodes = ${l.maxNodes} nodes`, 403), clamped: 0 };
      let added: Set<string> | undefined;
      const newProbe = (name: string) => {
        if (known?.has(name) || added?.has(name)) return true;
        (added ??= new Set()).add(name);
        return (known?.size ?? 0) + added.size <= l.maxProbesPerAgent && probesTotal + added.size <= l.maxProbes;
      };
      const seen = (name: string) => known?.has(name) === true || added?.has(name) === true;
      const lo = receivedAt - l.recordTimeWindowMs, hi = receivedAt + l.recordTimeWindowMs;
      let clamped = 0;
      // Objects are mutable: one checked by an earlier call is checked again.
      factsSeen = undefined;
      for (let i = 0; i < batch.records.length; i++) {
        const r = batch.records[i];
        // Nearly every record: a result of a probe the agent named before, of a checked kind:
        // only its sizes are left to check (recordProblem's probe case, without the name and
        // kind it would find known); the time is checked below.
        const p = r.type === "probe" && known !== undefined && known.has(r.probe) && kindsOk.has(r.kind) ? probeSizes(r) : recordProblem(r, newProbe, seen);
        if (p) return { violation: p.includes("maxProbesPerAgent") || p.includes("maxFactsPerRecord") || p.includes("maxStringLength") ? over(`record seq ${r.seq}: ${p}`) : bad(`record seq ${r.seq}: ${p}`), clamped: 0 };
        if (r.at < lo || r.at > hi) {
          (r as { at: number }).at = receivedAt;
          clamped++;
        }
      }
      if (known && !added) nothingNew.add(batch);
      return { clamped };
    },
    accepted(batch) {
      let set = probesOf.get(batch.agentId);
      if (!set) probesOf.set(batch.agentId, set = new Set());
      // Everything it named was known when it was checked (a retire in between: the next batch adds them again).
      if (nothingNew.has(batch)) return;
      for (const r of batch.records) {
        if ((r.type === "probe" || r.type === "state") && !set.has(r.probe)) {
          set.add(r.probe);
          probesTotal++;
        }
      }
    },
    seed(pairs, nodes) {
      for (const n of nodes) if (!probesOf.has(n)) probesOf.set(n, new Set());
      for (const { node, probe } of pairs) {
        let set = probesOf.get(node);
        if (!set) probesOf.set(node, set = new Set());
        if (!set.has(probe)) {
          set.add(probe);
          probesTotal++;
        }
      }
    },
    forget(agentId) {
      probesTotal -= probesOf.get(agentId)?.size ?? 0;
      probesOf.delete(agentId);
    },
    nodes: () => probesOf.size,
    reload(next) {
      l = next;
      decode = { ...DECODE_BATCH_LIMITS, maxRecords: next.maxRecordsPerBatch };
    },
    decodeLimits: () => decode,
  };
}
