/**
 * @module The collector's Store on an embedded SQLite file (runtime/sqlite.ts), WAL mode.
 *
 * Write path, per group of batches (collector/sqlite/group_commit.ts): one INSERT of the batch's
 * new records verbatim (table `batches`, wire format v1) plus its rare events, one COMMIT for
 * the group, then the ack. A committed transaction survives a process kill with
 * synchronous=NORMAL, and power loss with FULL (https://www.sqlite.org/pragma.html#pragma_synchronous).
 * Everything derived (acks, nodes, probes, per-minute sketches) is computed once per batch
 * (collector/batch_aggregate.ts) into the in-memory read model (collector/read_model.ts), which
 * answers the fleet views and is written to its tables at a checkpoint every `checkpointMs`,
 * on prune and on close. `batches` is the journal: opening the store replays the rows after the
 * last checkpoint, so a kill between checkpoints loses nothing acknowledged.
 *
 * Measured (docs/benchmarks.md): the per-batch upserts of every probe and minute row were ~80 %
 * of ingest CPU; the journal insert is one statement per batch.
 *
 * Idempotency: `streams` (in memory, checkpointed) keeps the ack per (agentId, bootId); records at
 * or below it are duplicates and are not written again, except in a hole: a jump no spool-drop
 * report accounts for (collector/seq_admit.ts) leaves the seqs it skipped admissible, and the
 * hole is checkpointed with the stream, so a restart keeps it.
 */
import { type Database, openDatabase } from "../runtime/sqlite.ts";
import type { Batch } from "../telemetry/record.ts";
import { decodeBatch, encodeBatch } from "../telemetry/codec.ts";
import { mergeInto, serializeDense } from "./sketch.ts";
import { aggregateBatch, type BatchDelta, MINUTE, type MinuteAgg } from "./batch_aggregate.ts";
import {
  applyBatch,
  applyFleet,
  applyMinutes,
  foldFleet,
  foldMinutes,
  DAY,
  type Level,
  type MinuteSlot,
  type NodeMem,
  newReadModel,
  nodeSummary,
  type ProbeMem,
  probeView,
  retireFromModel,
  rollupWrite,
  settleFleet,
  type StoredRollup,
  settleMinutes,
  slotAgg,
  streamKey,
  streamSeq,
} from "./read_model.ts";
import { admitSeqs, type StreamSeq } from "./seq_admit.ts";
import {
  eventFromRow,
  groupCommit,
  minuteFromRow,
  nodeFromRow,
  nodeParams,
  num,
  prepareStatements,
  minuteParams,
  probeFromRow,
  rollupParams,
  rowsUpsert,
  type RowsUpsert,
  probesFromJson,
  probesJson,
  SCHEMA,
  SCHEMA_INDEXES,
  SCHEMA_UPGRADES,
  slotParams,
  streamFromRow,
  streamParams,
  answerBody,
  copySlots,
  type HistoryQuery,
  historyPoints,
  type LatencyQuery,
  latencySummary,
  levelForStep,
  levelForWindow,
  prepareReadStatements,
  type ReadThread,
  type RowsQuery,
  startReadThread,
  UNIT,
} from "./sqlite/mod.ts";
import type { FleetChange, IngestOutcome, NodeDetail, Store, StoreStats, WindowQuery } from "./store.ts";


export interface SqliteStoreOptions {
  readonly path: string;
  /** Keep every stored record verbatim (table `batches`, CBOR v1, one row per batch). @default true */
  readonly raw?: boolean;
  /** "normal": durable across process crashes; "full": also across power loss. @default "normal" */
  readonly synchronous?: "normal" | "full";
  /** How often the read model is written to its tables (bounds the replay on open). @default 15000 */
  readonly checkpointMs?: number;
  /** How long hour and day rollups are kept (ms). @default 90 days and 2 years */
  readonly hoursRetentionMs?: number;
  readonly daysRetentionMs?: number;
  /**
   * Answer history and latency in a read thread on a read-only connection of its own
   * (collector/sqlite/read_thread.ts), started at the first such read; when it cannot start, the
   * reads run on this thread as before. Never for ":memory:" (a second connection would see
   * another database). @default true
   */
  readonly readThread?: boolean;
  /** Told when the read thread cannot start (the reads then run on this thread). */
  readonly onReadThreadError?: (e: Error) => void;
  /**
   * Longest wait of a batch for others to share its transaction (ms); 0: the batches that
   * arrived while the last group was written (the next macrotask). @default 0
   */
  readonly groupWaitMs?: number;
  /**
   * Dirty nodes written with each ingest transaction (the oldest first); the 1 s tick writes up
   * to `nodesPerTick` more in a transaction of its own. 0 leaves them all to the tick: fewer,
   * larger checkpoint transactions, each rewriting the shared pages of the node, probe and minute
   * tables once (a JetStream partition owner, whose ingest transactions are small).
   * @default 32 and 512
   */
  readonly nodesPerGroup?: number;
  readonly nodesPerTick?: number;
  /** Wall clock deciding when an hour or day is over (read_model.ts rollupWrite). @default Date.now */
  readonly clock?: () => number;
}

/**
 * The write connection's page cache: 64 MiB, against SQLite's default of 2 MiB
 * (https://www.sqlite.org/pragma.html#pragma_cache_size). A node's checkpoint writes a row per
 * probe into the minute table's unique index, whose pages are spread by (agent, probe); with
 * 2 MiB many of those pages, and the node and rollup pages, were read back from the OS in every
 * transaction: in the in-process bench's long case (42,000 batches) 187 MB in 47,700 read calls,
 * 117-122 MB in 31,000-32,000 with this (docs/benchmarks.md, "Small batches, seventh pass").
 * A bound: at most this much memory, reached only by a file larger than it. It does not change
 * what a commit promises (that is `synchronous`). `wal_autocheckpoint` stays at SQLite's 1,000
 * pages: 10,000 wrote 20 % fewer bytes but made the commit that copies the WAL back ~86 ms
 * instead of ~15 ms, for no CPU gain the pairs could show (the same section).
 */
const CACHE_KIB = 65_536;

/** Most batches in one group commit. */
const MAX_GROUP = 256;
/** Most wire bytes in one group commit: bounds one transaction's size and what it holds in memory. */
const MAX_GROUP_BYTES = 8 * 1024 * 1024;
/**
 * Dirty nodes written per ingest transaction, and per idle tick: enough to keep up (10,000 nodes
 * every 15 s is 667 nodes/s) without a pause of seconds in any one transaction.
 */
const NODES_PER_GROUP = 32;
const NODES_PER_TICK = 512;
/** How often the fleet-wide rollups (a few rows per probe name) are written. */
const FLEET_EVERY_MS = 1000;
/**
 * A node's newest minute counts as over this long after its end by the store's clock (an agent
 * that stopped sending): results of a minute keep arriving for about one batch interval after it
 * (5 s for the simulator's agents, docs/fleet-simulator.md), and a row written before they are in
 * is written again.
 */
const MINUTE_GRACE_MS = 10_000;

interface Item {
  readonly batch: Batch;
  readonly receivedAt: number;
  readonly wire?: Uint8Array;
}

interface Written {
  readonly outcome: IngestOutcome;
  /** The stream's state after this batch (collector/seq_admit.ts). */
  readonly seq?: StreamSeq;
  readonly delta?: BatchDelta;
  readonly rowid?: number;
}

/**
 * Open (creating) the SQLite store; replays the journal written after the last checkpoint.
 * @throws {Error} "Cannot open SQLite database …"
 */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  const db: Database = await openDatabase(options.path);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec(`PRAGMA synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`);
  db.exec("PRAGMA busy_timeout = 5000");
  db.exec(`PRAGMA cache_size = -${CACHE_KIB}`);
  db.exec(SCHEMA);
  for (const [table, column, type] of SCHEMA_UPGRADES) {
    if (!db.prepare(`PRAGMA table_info(${table})`).all().some((c) => c.name === column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
  }
  db.exec(SCHEMA_INDEXES);
  const raw = options.raw ?? true;
  const clock = options.clock ?? Date.now;
  const q = prepareStatements(db);
  const model = newReadModel();
  const listeners = new Set<(c: FleetChange) => void>();
  let duplicatesTotal = 0, gapTotal = 0, recordsTotal = 0;

  for (const r of q.allStreams.all()) {
    const s = streamFromRow(r);
    model.streams.set(streamKey(s.agentId, s.bootId), s);
  }
  for (const r of q.allNodes.all()) {
    const n = nodeFromRow(r);
    model.nodes.set(n.id, n);
  }
  const nodeProbes = q.allNodeProbes.all();
  for (const r of nodeProbes) {
    const n = model.nodes.get(String(r.agent_id));
    if (n) for (const p of probesFromJson(n.id, String(r.body))) n.probes.set(p.name, p);
  }
  if (nodeProbes.length === 0) {
    for (const r of q.allProbes.all()) {
      const p = probeFromRow(r);
      model.nodes.get(p.node)?.probes.set(p.name, p);
    }
  }

  const getRow = { minutes: q.getMinute, hours: q.getHour, days: q.getDay };
  /**
   * A stored minute; or a node's hour or day: its row (which holds the minutes up to its
   * `through`; NULL: all of them) plus the minute rows after that (read_model.ts rollupWrite).
   */
  const loadMinute = (level: Level, node: string, probe: string, t: number): MinuteAgg | StoredRollup | undefined => {
    const r = getRow[level].get(node, probe, t);
    if (level === "minutes") return r ? minuteFromRow(r) : undefined;
    const end = t + UNIT[level];
    const rowThrough = !r ? -Infinity : r.through === null || r.through === undefined ? end - 1 : num(r.through);
    let agg = r ? minuteFromRow(r) : undefined;
    let maxMinute = rowThrough;
    if (rowThrough < end - 1) {
      for (const m of q.minutesAfter.all(node, probe, Math.max(rowThrough, t - 1), end)) {
        const a = minuteFromRow(m);
        if (!agg) agg = a;
        else {
          agg.count += a.count;
          agg.ok += a.ok;
          for (const k in a.failures) agg.failures[k] = (agg.failures[k] ?? 0) + a.failures[k];
          mergeInto(agg.sketch, a.sketch);
        }
        maxMinute = Math.max(maxMinute, num(m.minute));
      }
    }
    return agg ? { ...agg, rowThrough, maxMinute } : undefined;
  };

  /** Stream state as this group sees it: acks of earlier batches of the same group count. */
  let groupAcks = new Map<string, StreamSeq>();
  const streamOf = (agentId: string, bootId: string): StreamSeq => {
    const key = streamKey(agentId, bootId);
    const g = groupAcks.get(key);
    if (g) return g;
    const s = model.streams.get(key);
    return s ? streamSeq(s) : { acked: 0, drops: 0, gaps: 0 };
  };

  const apply = (batch: Batch, receivedAt: number, rowid: number, out: IngestOutcome, delta: BatchDelta, seq: StreamSeq): boolean => {
    recordsTotal += out.stored;
    gapTotal += out.gap;
    duplicatesTotal += out.duplicates;
    return applyBatch(model, { agentId: batch.agentId, bootId: batch.bootId, ack: out.ack, gap: out.gap, seq, receivedAt, rowid, now: Date.now(), clock: clock() }, delta, loadMinute);
  };
  /**
   * A batch of duplicates may still move the stream (a spool-drop report settling a hole): the
   * change is kept in memory and written with the node's next checkpoint (no journal row).
   */
  const applySeqOnly = (agentId: string, bootId: string, seq: StreamSeq) => {
    const s = model.streams.get(streamKey(agentId, bootId));
    if (!s || (s.gap === seq.gaps && s.drops >= seq.drops && s.hole === seq.hole)) return;
    s.gap = seq.gaps;
    if (seq.drops > s.drops) {
      const n = model.nodes.get(agentId);
      if (n) n.spoolDrops += seq.drops - s.drops;
      s.drops = seq.drops;
    }
    if (seq.hole) s.hole = seq.hole;
    else delete s.hole;
    const n = model.nodes.get(agentId);
    if (!n) return;
    n.dirtyStreams.add(s);
    // In no journal row: written at the node's next chance, not left for its open minute to close.
    n.force = true;
    // Below every later batch's rowid: `dirty` stays in rowid order.
    if (!model.dirty.has(agentId)) model.dirty.set(agentId, { rowid: lastRowid + 1, at: Date.now() });
  };

  const fleetGet = { minutes: q.fleetGet_minutes, hours: q.fleetGet_hours, days: q.fleetGet_days };
  const loadFleet = (level: Level, probe: string, t: number): MinuteAgg | undefined => {
    const r = fleetGet[level].get(probe, t);
    return r ? minuteFromRow(r) : undefined;
  };

  // Replay what was committed after the last checkpoint (a kill between checkpoints): into a
  // node if its written state does not cover it (the ack says), into the fleet rollups if they
  // were written before it.
  const marks = q.getCheckpoint.get()!;
  let checkpointed = num(marks.batch_rowid);
  let fleetMark = num(marks.fleet_rowid);
  let lastRowid = num(q.maxBatch.get()!.id);
  /** Batches committed since the last full checkpoint (the mark can move). */
  let pendingMark = false;
  const checkpointMs = options.checkpointMs ?? 15_000;
  const nodesPerGroup = options.nodesPerGroup ?? NODES_PER_GROUP, nodesPerTick = options.nodesPerTick ?? NODES_PER_TICK;
  let replayed = 0;
  for (const r of q.journalAfter.all(Math.min(checkpointed, fleetMark))) {
    const batch = decodeBatch(r.body as Uint8Array);
    if (batch.records.length === 0) continue;
    const st = streamOf(batch.agentId, batch.bootId);
    // The same admission as ingest: a row the node's written state reflects is all duplicates.
    const admitted = admitSeqs(batch.records, st);
    const { fresh, duplicates, gap } = admitted;
    // A journal row holds exactly the records that were new when it was written.
    const delta = aggregateBatch(batch.agentId, batch.bootId, batch.records, st.drops);
    const id = num(r.id);
    if (id > fleetMark) applyFleet(model, delta);
    // Records the node's written state holds, of its open minute, which its rows do not: into the
    // minute, hour and day slots only (the counters and the ack have them).
    const n = model.nodes.get(batch.agentId);
    if (n?.openFrom !== undefined && id >= n.openRowid! && fresh.length < batch.records.length) {
      const isFresh = new Set(fresh);
      const open = batch.records.filter((x) => x.type === "probe" && !isFresh.has(x) && x.at - (x.at % MINUTE) >= n.openFrom!);
      if (open.length > 0) {
        applyMinutes(model, batch.agentId, id, Date.now(), clock(), aggregateBatch(batch.agentId, batch.bootId, open, st.drops), loadMinute);
        replayed++;
      }
    }
    if (fresh.length === 0) continue;
    const nodeDelta = fresh.length === batch.records.length ? delta : aggregateBatch(batch.agentId, batch.bootId, fresh, st.drops);
    const outcome = { agentId: batch.agentId, bootId: batch.bootId, ack: admitted.ack, stored: fresh.length, duplicates, gap };
    apply(batch, num(r.received_at), num(r.id), outcome, nodeDelta, admitted.next);
    replayed++;
  }

  const emit = (c: FleetChange) => {
    for (const l of listeners) {
      try {
        l(c);
      } catch {
        // a listener's failure must not break ingest
      }
    }
  };

  const notify = new Map<Item, boolean>();
  const writer = groupCommit<Item, Written>({
    begin: () => {
      groupAcks = new Map();
      db.exec("BEGIN IMMEDIATE");
      // Spread the read model's writes over the ingest transactions: the nodes dirty longest.
      if (nodesPerGroup > 0) writeDirty(nodesPerGroup, checkpointMs);
      if (Date.now() - fleetWrittenAt >= FLEET_EVERY_MS) writeFleet();
    },
    commit: () => {
      db.exec("COMMIT");
      afterCommit();
    },
    rollback: () => {
      written = [];
      rollupMarks = [];
      markAfterCommit = 0;
      fleetMarkAfterCommit = 0;
      db.exec("ROLLBACK");
    },
    write: ({ batch, receivedAt, wire }) => {
      const { agentId, bootId } = batch;
      const st = streamOf(agentId, bootId);
      const admitted = admitSeqs(batch.records, st);
      const { fresh, duplicates, gap } = admitted;
      if (fresh.length === 0) {
        groupAcks.set(streamKey(agentId, bootId), admitted.next);
        return { outcome: { agentId, bootId, ack: admitted.ack, stored: 0, duplicates, gap: 0 }, seq: admitted.next };
      }
      const delta = aggregateBatch(agentId, bootId, fresh, st.drops);
      const last = fresh[fresh.length - 1];
      // Events are rare (state changes, restarts): only then more than one statement, under a savepoint.
      const savepoint = delta.events.length > 0;
      let rowid = 0;
      try {
        if (savepoint) db.exec("SAVEPOINT batch");
        // The new records verbatim: one insert per batch is the journal and the audit trail.
        const body = wire && duplicates === 0 ? wire : encodeBatch({ agentId, bootId, records: fresh });
        rowid = q.insBatch.run(agentId, bootId, fresh[0].seq, last.seq, delta.firstAt, delta.lastAt, receivedAt, body).lastInsertRowid;
        for (const e of delta.events) q.insEvent.run(agentId, bootId, e.seq, e.at, e.type, e.probe ?? null, JSON.stringify(e.detail));
        if (savepoint) db.exec("RELEASE batch");
      } catch (e) {
        if (savepoint) {
          try {
            db.exec("ROLLBACK TO batch");
            db.exec("RELEASE batch");
          } catch {
            // the savepoint may already be gone
          }
        }
        throw new Error(`Cannot store telemetry batch of ${agentId}/${bootId}: ${(e as Error).message}`, { cause: e });
      }
      const seq: StreamSeq = { ...admitted.next, drops: Math.max(admitted.next.drops, delta.drops) };
      groupAcks.set(streamKey(agentId, bootId), seq);
      return { outcome: { agentId, bootId, ack: admitted.ack, stored: fresh.length, duplicates, gap }, delta, rowid, seq };
    },
    committed: (item, w) => {
      if (w.rowid !== undefined && w.rowid > lastRowid) lastRowid = w.rowid;
      pendingMark = true;
      if (!w.delta) {
        duplicatesTotal += w.outcome.duplicates;
        if (w.seq) applySeqOnly(item.batch.agentId, item.batch.bootId, w.seq);
        return;
      }
      notify.set(item, apply(item.batch, item.receivedAt, w.rowid!, w.outcome, w.delta, w.seq!));
      applyFleet(model, w.delta);
    },
    settled: (done) => {
      const changed = new Map(notify);
      notify.clear();
      if (listeners.size === 0) return;
      for (const { item, result } of done) {
        const d = result.delta;
        if (!d) continue;
        const id = item.batch.agentId;
        if (changed.get(item)) emit({ type: "node", node: nodeSummary(model.nodes.get(id)!) });
        for (const c of d.stateChanges) emit(c);
        for (const e of d.events) emit({ type: "event", node: id, event: e });
      }
    },
  }, {
    maxGroup: MAX_GROUP,
    maxBytes: MAX_GROUP_BYTES,
    // Without the wire bytes (in-process callers) a record is about 20 bytes (docs/telemetry.md).
    sizeOf: (it) => it.wire?.length ?? it.batch.records.length * 20,
    maxWaitMs: options.groupWaitMs ?? 0,
  });

  /**
   * Write one node's unwritten state (streams, node, probes, minutes before `openFrom`): a replay
   * skips what it covers by the ack, and rebuilds the minutes from `openFrom` on from the journal
   * rows from `openRowid` on (Infinity: nothing left open).
   */
  const writeNode = (n: NodeMem, openFrom: number, openRowid: number) => {
    for (const s of n.dirtyStreams) q.putStream.run(...streamParams(s));
    const params = nodeParams(n);
    const open = openRowid !== Infinity;
    params[params.length - 2] = open ? openFrom : null;
    params[params.length - 1] = open ? openRowid : null;
    q.putNode.run(...params);
    q.putNodeProbes.run(n.id, probesJson(n));
    for (const p of n.dirtyMinutes) {
      // Into the hour and day before the minute rows are written: an hour or day read from its
      // table now would count them twice, its row and the minute rows after it (loadMinute).
      foldMinutes(p, loadMinute, openFrom);
      for (const [t, slot] of p.minutes) if (slot.dirty && t < openFrom) slotRows.minutes.add(slotParams(p.node, p.name, t, slot));
    }
    // A full checkpoint looks at every probe's hours and days (writeRollupsAll), not only these.
    if (!fullCheckpoint) for (const p of n.dirtyMinutes) writeRollups(p, false, openFrom);
  };
  /** Rows whose in-memory marks move once their transaction commits (rollupWrite). */
  let rollupMarks: { readonly slot: MinuteSlot; readonly through: number }[] = [];
  let fullCheckpoint = false;
  /** A probe's hour and day rows that `rollupWrite` says are due (read_model.ts). */
  const writeRollups = (p: ProbeMem, checkpoint: boolean, openFrom = Infinity) => {
    // The hour and day hold every minute but the node's open one before a row is written from
    // them (read_model.ts foldMinutes; writeNode folded its node's already).
    foldMinutes(p, loadMinute, openFrom);
    const now = clock();
    writeLevel(p, "hours", p.hours.slots, slotRows.hours, now, checkpoint, openFrom);
    writeLevel(p, "days", p.days.slots, slotRows.days, now, checkpoint, openFrom);
  };
  // Runs per probe and node write (writeRollups was ~4 % of ingest CPU with 5 s batches, bun
  // --cpu-prof): no tuple per level and call.
  const writeLevel = (p: ProbeMem, level: "hours" | "days", slots: Map<number, MinuteSlot>, put: RowsUpsert, now: number, checkpoint: boolean, openFrom: number) => {
    let newest = -Infinity;
    for (const t of slots.keys()) if (t > newest) newest = t;
    for (const [t, slot] of slots) {
      const how = rollupWrite(slot, t, UNIT[level], t === newest, now, checkpoint);
      if (!how) continue;
      // The node's open minute is in no row until it closes: a row that would hold it holds the
      // minutes before it (the minute rows and the journal hold the rest, writeNode).
      if (openFrom !== Infinity && slot.maxMinute! >= openFrom && p.minutes.has(openFrom)) {
        const through = openFrom - 1;
        if (!slot.late && (slot.rowThrough ?? -Infinity) >= through) continue;
        put.add(rollupParams(p.node, p.name, t, slot, through, p.minutes.get(openFrom)));
        rollupMarks.push({ slot, through });
        continue;
      }
      const open = how === "partial" ? p.minutes.get(slot.maxMinute!) : undefined;
      const through = how === "full" ? t + UNIT[level] - 1 : open ? slot.maxMinute! - 1 : slot.maxMinute!;
      put.add(rollupParams(p.node, p.name, t, slot, how === "full" ? null : through, open));
      rollupMarks.push({ slot, through });
    }
  };
  /**
   * Inside a full checkpoint's transaction: every probe's due hours and days, as they stand; then
   * the open rows of periods now over that memory does not hold (a probe silent since a kill),
   * completed from their minute rows before the minutes' retention can take those.
   */
  const writeRollupsAll = () => {
    for (const n of model.nodes.values()) for (const p of n.probes.values()) writeRollups(p, true);
    slotRows.hours.flush();
    slotRows.days.flush();
    const now = clock();
    for (const [level, ended, put] of [["hours", q.endedHour, slotRows.hours], ["days", q.endedDay, slotRows.days]] as const) {
      for (const r of ended.all(now - UNIT[level])) {
        const node = String(r.agent_id), probe = String(r.probe), t = num(r.t);
        if (model.nodes.get(node)?.probes.get(probe)?.[level].slots.has(t)) continue;
        const agg = loadMinute(level, node, probe, t);
        if (agg) put.add([...minuteParams(node, probe, t, agg), null]);
      }
      put.flush();
    }
  };
  // A node's minute, hour and day rows, gathered over the nodes of one writeDirty: a few statements for all.
  const slotCols = (t: string) => ["agent_id", "probe", t, "count", "ok", "failures", "sketch"];
  const slotRows = {
    minutes: rowsUpsert(db, "minutes", slotCols("minute"), ["agent_id", "probe", "minute"]),
    hours: rowsUpsert(db, "hours", [...slotCols("t"), "through"], ["agent_id", "probe", "t"]),
    days: rowsUpsert(db, "days", [...slotCols("t"), "through"], ["agent_id", "probe", "t"]),
  };
  const flushSlotRows = () => {
    slotRows.minutes.flush();
    slotRows.hours.flush();
    slotRows.days.flush();
  };
  /** After the transaction that wrote them committed. */
  const settleNode = ({ n, openFrom, openRowid }: WrittenNode) => {
    for (const p of n.dirtyMinutes) {
      if (settleMinutes(p, openFrom)) continue;
      p.queued = false;
      n.dirtyMinutes.delete(p);
    }
    n.dirtyStreams.clear();
    model.dirty.delete(n.id);
    n.force = false;
    if (openFrom === Infinity) n.newestSince = n.newestSinceAt = undefined;
    if (openRowid === Infinity) n.openFrom = n.openRowid = undefined;
    else {
      n.openFrom = openFrom;
      n.openRowid = openRowid;
      // Still dirty from its open minute's first row: the mark stays below it, and the node is
      // looked at again (its minute closes, or the clock says it is over: an agent gone silent).
      model.dirty.set(n.id, { rowid: openRowid, at: Date.now() });
    }
  };
  interface WrittenNode {
    readonly n: NodeMem;
    readonly openFrom: number;
    readonly openRowid: number;
  }
  let written: WrittenNode[] = [];
  /**
   * Where a node's open minute begins for a routine write: its newest minute, unless the store's
   * clock says that is over too, or that it began more than a minute and the grace ago (an agent
   * that fell silent, or whose clock runs ahead: records up to limits.recordTimeWindow, 24 h, from
   * the receive time are stored as they are, and the journal must not be held that long).
   * Infinity: write everything.
   */
  const openBoundary = (n: NodeMem, now: number) =>
    n.newestMinute === -Infinity || now >= n.newestMinute + MINUTE + MINUTE_GRACE_MS || now - (n.newestSinceAt ?? now) >= MINUTE + MINUTE_GRACE_MS ? Infinity : n.newestMinute;
  /**
   * Inside an open transaction: write up to `max` nodes dirty for at least `ageMs`, oldest
   * first, and move the journal mark below the first row a replay would need. A routine write
   * leaves each node's open minute out (its rows wait until it closes, so a minute row is written
   * about once instead of with every node write) and skips a node whose write would not move
   * that row (only its open minute changed since): it is looked at again `ageMs` later. `full`
   * (a full checkpoint) writes every node with anything unwritten, open minutes included.
   */
  const writeDirty = (max: number, ageMs: number, full = false) => {
    const before = Date.now() - ageMs;
    const now = clock();
    written = [];
    const later: string[] = [];
    try {
      for (const [id, d] of model.dirty) {
        if (written.length >= max || d.at > before) break;
        const n = model.nodes.get(id)!;
        const openFrom = full ? Infinity : openBoundary(n, now);
        const openRowid = openFrom === Infinity || n.newestSince === undefined ? Infinity : n.newestSince;
        // The first journal row a replay needs for this node now, and after this write.
        if (!full && !n.force && openRowid <= Math.min(d.rowid, n.openRowid ?? Infinity)) {
          later.push(id);
          continue;
        }
        writeNode(n, openFrom, openRowid);
        written.push({ n, openFrom, openRowid });
      }
      flushSlotRows();
    } catch (e) {
      for (const r of Object.values(slotRows)) r.discard();
      rollupMarks = [];
      written = [];
      throw e;
    }
    for (const id of later) {
      const d = model.dirty.get(id)!;
      model.dirty.delete(id);
      model.dirty.set(id, { rowid: d.rowid, at: Date.now() });
    }
    if (written.length === 0) return;
    // The mark: below the first row any node still needs (what it has not written, its open
    // minute). `dirty` is in the order nodes were last looked at, not in row order: a scan, once
    // per transaction that wrote nodes (10,000 entries: well under a millisecond).
    const done = new Set<string>();
    let first = Infinity;
    for (const w of written) {
      done.add(w.n.id);
      if (w.openRowid < first) first = w.openRowid;
    }
    for (const [id, d] of model.dirty) if (d.rowid < first && !done.has(id)) first = d.rowid;
    const mark = first === Infinity ? lastRowid : Math.min(lastRowid, first - 1);
    if (mark <= checkpointed) return;
    q.putCheckpoint.run(mark);
    markAfterCommit = mark;
  };
  const fleetPut = { minutes: q.fleetPut_minutes, hours: q.fleetPut_hours, days: q.fleetPut_days };
  let fleetWrittenAt = 0;
  let fleetMarkAfterCommit = 0;
  /** Inside an open transaction: write every fleet rollup slot changed since the last time. */
  const writeFleet = () => {
    fleetWrittenAt = Date.now();
    foldFleet(model, loadFleet);
    for (const [name, f] of model.fleet) {
      for (const level of ["minutes", "hours", "days"] as const) {
        for (const [t, slot] of f[level].slots) {
          if (!slot.dirty) continue;
          fleetPut[level].run(name, t, slot.count, slot.ok, JSON.stringify(slot.failures ?? {}), serializeDense(slot.hist));
        }
      }
    }
    q.putFleetMark.run(lastRowid);
    fleetMarkAfterCommit = lastRowid;
  };
  /**
   * Everything dirty, in one transaction (open, prune, close); also when nothing is, since hours
   * and days may be due by the clock alone (read_model.ts rollupWrite).
   */
  const checkpoint = () => {
    writer.flush();
    db.exec("BEGIN IMMEDIATE");
    try {
      fullCheckpoint = true;
      writeDirty(Infinity, -Infinity, true);
      writeRollupsAll();
      writeFleet();
      q.putCheckpoint.run(lastRowid);
      if (!raw) q.dropJournal.run(lastRowid);
      db.exec("COMMIT");
    } catch (e) {
      written = [];
      rollupMarks = [];
      for (const r of Object.values(slotRows)) r.discard();
      markAfterCommit = 0;
      fleetMarkAfterCommit = 0;
      try {
        db.exec("ROLLBACK");
      } catch {
        // already rolled back
      }
      throw new Error(`Cannot checkpoint the collector's read model: ${(e as Error).message}`, { cause: e });
    } finally {
      fullCheckpoint = false;
    }
    afterCommit();
    checkpointed = lastRowid;
    pendingMark = false;
  };
  let markAfterCommit = 0;
  const afterCommit = () => {
    for (const { slot, through } of rollupMarks) {
      slot.rowThrough = through;
      slot.late = false;
    }
    rollupMarks = [];
    for (const n of written) settleNode(n);
    written = [];
    if (markAfterCommit > checkpointed) checkpointed = markAfterCommit;
    if (fleetMarkAfterCommit > 0) {
      fleetMark = Math.max(fleetMark, fleetMarkAfterCommit);
      fleetMarkAfterCommit = 0;
      for (const f of model.fleet.values()) settleFleet(f);
    }
  };
  // Nodes whose open minute the journal holds (written before a kill): written whole now.
  for (const n of model.nodes.values()) if (n.openFrom !== undefined && !model.dirty.has(n.id)) model.dirty.set(n.id, { rowid: n.openRowid!, at: 0 });
  if (replayed > 0 || model.dirty.size > 0) checkpoint();
  // Nodes that ingest does not touch (an idle collector) are written by this timer.
  const timer = setInterval(() => {
    if (model.dirty.size === 0) return;
    const first = model.dirty.values().next().value!;
    if (first.at > Date.now() - checkpointMs) return;
    try {
      db.exec("BEGIN IMMEDIATE");
      writeDirty(nodesPerTick, checkpointMs);
      db.exec("COMMIT");
      afterCommit();
      // Without raw retention the journal only needs what the tables do not reflect yet.
      if (!raw) q.dropJournal.run(Math.min(checkpointed, fleetMark));
    } catch {
      written = [];
      rollupMarks = [];
      markAfterCommit = 0;
      fleetMarkAfterCommit = 0;
      try {
        db.exec("ROLLBACK");
      } catch {
        // already rolled back
      }
      // retried at the next tick; the journal still holds everything
    }
  }, 1000);
  (timer as { unref?: () => void }).unref?.();

  const slotsOf = (p: ProbeMem, level: Level) => (level === "minutes" ? p.minutes : level === "hours" ? p.hours.slots : p.days.slots);
  const align = (t: number, level: Level) => Math.floor(t / UNIT[level]) * UNIT[level];
  /** One node's probe (or the fleet's) at `level` over [from, to), with the slots memory holds. */
  const rowsQuery = (node: string | undefined, probe: string, level: Level, fromMs: number, to: number): RowsQuery => {
    const from = align(fromMs, level);
    // What ingest added since the last fleet write is folded in first (read_model.ts applyFleet).
    if (node === undefined) foldFleet(model, loadFleet);
    const slots = node === undefined ? model.fleet.get(probe)?.[level].slots : (() => {
      const p = model.nodes.get(node)?.probes.get(probe);
      // The minutes not yet in their hour and day (read_model.ts foldMinutes) are added first.
      if (p && level !== "minutes") foldMinutes(p, loadMinute);
      return p ? slotsOf(p, level) : undefined;
    })();
    return { ...(node === undefined ? {} : { node }), probe, level, from, to, mem: copySlots(slots, from, to) };
  };
  /** The query of a history read, or undefined when the node has no such probe. */
  const historyQuery = (node: string, probe: string, w: WindowQuery, step: number): HistoryQuery | undefined => {
    if (!model.nodes.get(node)?.probes.has(probe)) return undefined;
    const stepMs = Math.max(MINUTE, Math.round(step / MINUTE) * MINUTE);
    return {
      kind: "history", node, probe, window: w, step, stepMs,
      rows: rowsQuery(node, probe, levelForStep(stepMs), w.from, w.to),
      summary: rowsQuery(node, probe, levelForWindow(w.to - w.from), w.from, w.to),
    };
  };
  // Named nodes are read by their own rows (the primary key); the whole fleet from its own rollup,
  // one row per step (not one per node and step).
  const latencyQuery = (probe: string, w: WindowQuery, nodes: readonly string[] | undefined): LatencyQuery => {
    const level = levelForWindow(w.to - w.from);
    const only = nodes && nodes.length > 0 ? [...new Set(nodes)] : undefined;
    return { kind: "latency", probe, window: w, nodes, rows: only ? only.map((id) => rowsQuery(id, probe, level, w.from, w.to)) : [rowsQuery(undefined, probe, level, w.from, w.to)] };
  };
  const readStatements = prepareReadStatements(db);
  const useThread = (options.readThread ?? true) && options.path !== ":memory:" && options.path !== "";
  let thread: Promise<ReadThread | undefined> | undefined;
  /** The read thread, started at the first heavy read (and again if it died); undefined: read here. */
  const readThread = async (): Promise<ReadThread | undefined> => {
    if (!useThread || closed) return undefined;
    if (thread) {
      const t = await thread;
      // A thread that never started stays off: the reads run here.
      if (!t || !t.dead) return t;
    }
    thread = startReadThread(options.path).catch((e) => {
      options.onReadThreadError?.(e as Error);
      return undefined;
    });
    return await thread;
  };
  const enc = new TextEncoder();

  let closed = false;
  return {
    ingest: (batch, receivedAt, wire) => {
      if (closed) return Promise.reject(new Error("Cannot store telemetry batch: the store is closed"));
      return writer.submit({ batch, receivedAt, wire }).then((w) => w.outcome);
    },
    fleet: () => Promise.resolve([...model.nodes.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map(nodeSummary)),
    node: (id) => {
      const n = model.nodes.get(id);
      if (!n) return Promise.resolve(undefined);
      const probeList = [...n.probes.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map(probeView);
      const detail: NodeDetail = { ...nodeSummary(n), probeList, events: q.eventsOf.all(id).map(eventFromRow) };
      return Promise.resolve(detail);
    },
    history: async (node, probe, w, stepMs) => {
      const q = historyQuery(node, probe, w, stepMs);
      if (!q) return undefined;
      const t = await readThread();
      return t ? await t.value(q) : historyPoints(readStatements, q);
    },
    latency: async (probe, w, nodes) => {
      const q = latencyQuery(probe, w, nodes);
      const t = await readThread();
      return t ? await t.value(q) : latencySummary(readStatements, q.rows);
    },
    historyBody: async (node, probe, w, stepMs) => {
      const q = historyQuery(node, probe, w, stepMs);
      if (!q) return undefined;
      const t = await readThread();
      return t ? await t.body(q) : enc.encode(answerBody(readStatements, q));
    },
    latencyBody: async (probe, w, nodes) => {
      const q = latencyQuery(probe, w, nodes);
      const t = await readThread();
      return t ? await t.body(q) : enc.encode(answerBody(readStatements, q));
    },
    probes: () => {
      const out: { node: string; probe: ReturnType<typeof probeView> }[] = [];
      const ids = [...model.nodes.keys()].sort();
      for (const id of ids) {
        const n = model.nodes.get(id)!;
        for (const name of [...n.probes.keys()].sort()) out.push({ node: id, probe: probeView(n.probes.get(name)!) });
      }
      return Promise.resolve(out);
    },
    retire: (before) => {
      // Written first, so the journal after the mark holds nothing of what goes (no replay brings it back).
      checkpoint();
      const gone = retireFromModel(model, before);
      if (gone.nodes.length === 0 && gone.streams.length === 0) return Promise.resolve([]);
      db.exec("BEGIN IMMEDIATE");
      try {
        for (const id of gone.nodes) {
          q.delNode.run(id);
          q.delProbes.run(id);
          q.delNodeProbes.run(id);
        }
        for (const st of gone.streams) q.delStream.run(st.agentId, st.bootId);
        db.exec("COMMIT");
      } catch (e) {
        try {
          db.exec("ROLLBACK");
        } catch {
          // already rolled back
        }
        return Promise.reject(new Error(`Cannot retire nodes not seen since ${new Date(before).toISOString()}: ${(e as Error).message}`, { cause: e }));
      }
      return Promise.resolve(gone.nodes);
    },
    stats: (): Promise<StoreStats> => Promise.resolve({ nodes: model.nodes.size, records: recordsTotal, duplicates: duplicatesTotal, gapRecords: gapTotal }),
    prune: (rawBefore, minutesBefore) => {
      checkpoint();
      // Events (state changes, restarts, reloads) are rare and kept as long as the histograms.
      const records = q.pruneBatches.run(rawBefore, Math.min(checkpointed, fleetMark)).changes + q.pruneEvents.run(minutesBefore).changes;
      const cutoff = Math.floor(minutesBefore / MINUTE) * MINUTE;
      const minutes = q.pruneMinutes.run(cutoff).changes;
      // Rollups outlive the minutes (docs/telemetry.md: 90 days of hours, 2 years of days).
      const now = Date.now();
      q.pruneHours.run(now - (options.hoursRetentionMs ?? 90 * DAY));
      q.pruneDays.run(now - (options.daysRetentionMs ?? 730 * DAY));
      q.fleetPrune_minutes.run(cutoff);
      q.fleetPrune_hours.run(now - (options.hoursRetentionMs ?? 90 * DAY));
      q.fleetPrune_days.run(now - (options.daysRetentionMs ?? 730 * DAY));
      for (const n of model.nodes.values()) {
        for (const p of n.probes.values()) {
          for (const m of p.minutes.keys()) if (m < cutoff) p.minutes.delete(m);
          p.cur = undefined;
          p.curT = NaN;
        }
      }
      return Promise.resolve({ records, minutes });
    },
    subscribe: (l) => {
      listeners.add(l);
      return () => void listeners.delete(l);
    },
    close: () => {
      if (closed) return Promise.resolve();
      closed = true;
      clearInterval(timer);
      void thread?.then((t) => t?.close());
      try {
        checkpoint();
      } finally {
        listeners.clear();
        db.close();
      }
      return Promise.resolve();
    },
  };
}
