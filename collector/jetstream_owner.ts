/**
 * @module The partitions this collector holds the lease of: each one's subjects of the stream
 * consumed in order into this collector's local read model (collector/sqlite_store.ts), the
 * changed nodes written to the shared bucket (`node.<agent>`), and the minute aggregates of its
 * nodes answered to any collector that asks (history, latency). docs/scale-out.md, "Partitions".
 *
 * Each record is decoded and aggregated here, once in the cluster; a partition taken over from a
 * dead collector is replayed from the stream into the new owner's read model, which is idempotent
 * on (agentId, bootId, seq), so a record applied by both counts once.
 */
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import type { JetStreamClient, JsMsg } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import { Buffer } from "node:buffer";
import type { LogFn } from "../common/mod.ts";
import { type Database, openDatabase } from "../runtime/mod.ts";
import { decodeBatch } from "../telemetry/mod.ts";
import type { Batch } from "../telemetry/mod.ts";
import { deserializeSketch, mergeInto, newSketch, serializeSketch } from "./sketch.ts";
import { encodeEntry, encodeEvents, eventsMark, type NodeEntry } from "./jetstream_entry.ts";
import { type Follower, follow } from "./jetstream_follow.ts";
import { encodeToken, eventsKey, nodeKey, partitionFilter, partitionOf, querySubject } from "./jetstream_keys.ts";
import type { FleetView } from "./jetstream_view.ts";
import { openSqliteStore } from "./sqlite_store.ts";
import type { IngestOutcome, Store } from "./store.ts";

/** Header carrying the ingesting collector's receive time, so every owner records the same lastSeen. */
export const RECEIVED_AT_HEADER = "Edgeprobe-Received-At";

const MINUTE = 60_000;
/**
 * Most ms a stream message waits to be applied with others (one read-model transaction; 256
 * batches apply at once). 100 ms, not 20: a collector that is not busy committed a transaction for
 * every few batches, and the read model's commits and node rows (rewritten per transaction) were
 * the largest part of what 3 unsaturated collectors cost more than one (bench/fleet.ts --only
 * jetstream profiles, docs/scale-out.md). The view's lag grows by at most 80 ms (stateEvery 250 ms).
 */
const APPLY_EVERY = 100;
/**
 * Most nodes one checkpoint tick writes (collector/sqlite_store.ts `nodesPerTick`): 2,000 nodes
 * due every 5 s need 400 a second; at the 46 µs a node of the bench/fleet.ts --only jetstream
 * profiles a tick of 1,024 holds the thread about 50 ms, and more nodes wait for the next tick.
 */
const NODES_PER_TICK = 1024;
/** How often the applied position per partition is saved (a restart resumes there; replay is idempotent). */
const SAVE_EVERY = 5000;
/**
 * The owner is idle when nothing was applied for this long: then every node with new results is
 * written at once (a fleet whose agents stopped, a test, the end of bench/nats.ts's fixed work),
 * rather than `routineEvery` after its last write. A busy owner (the simulator's 2,000 agents give
 * each of 3 owners about 130 batches a second) is never idle this long.
 */
const IDLE_MS = 500;

export interface OwnerOptions {
  readonly stream: string;
  readonly subjectPrefix: string;
  readonly partitions: number;
  readonly collectorId: string;
  /** SQLite file of the local read model (a temporary file when the config says ":memory:"). */
  readonly readModel: string;
  readonly raw: boolean;
  /** How often nodes with a new state, verdict, event or boot are written to the bucket. */
  readonly flushEvery: number;
  /**
   * Most ms between two writes of a node whose only change is new results (totals, last result,
   * lastSeen): a node is written again that long after its previous write, or sooner when the
   * owner has nothing left to apply (its partitions quiet for IDLE_MS).
   */
  readonly routineEvery: number;
  /**
   * How often a node's unchanged events entry is rewritten anyway, so that it does not expire
   * (keyTtl) while the node lives: the store passes min(10 min, keyTtl / 2).
   */
  readonly eventsRefresh: number;
  /** The read model's checkpoint (collector/sqlite_store.ts): how stale its minute rows may be. */
  readonly checkpointMs: number;
  readonly timeout: number;
}

export interface Owner {
  acquire(p: number): Promise<void>;
  release(p: number, why: string): Promise<void>;
  /**
   * A batch this collector is about to publish under `msgId`: its owner here (if any) applies it
   * without decoding it again. Told before the publish, because the stream often delivers the
   * message to the owner before the publish ack returns (two thirds of one collector's batches were
   * decoded again in bench/nats.ts when this was told after it).
   */
  publishing(msgId: string, partition: number, batch: Batch, receivedAt: number): void;
  /** The publish of `msgId` ended: stored at `streamSeq`, or not stored (a duplicate, a failure). */
  published(msgId: string, partition: number, streamSeq: number | undefined): void;
  /** Stream sequence applied per held partition, and whether each caught up (tests, /metrics). */
  status(): { readonly partition: number; readonly applied: number; readonly live: boolean }[];
  /**
   * Partition `p` is held here and caught up: its nodes' entries are this owner's to write. While
   * a taken partition replays, the entries are the previous owner's last ones (lastSeen frozen).
   */
  live(p: number): boolean;
  /** Messages of the held partitions not yet delivered to this collector, as of each one's last delivery (the lease member's load, collector/lease_policy.ts). */
  lag(): number;
  /** Write every changed node now. */
  flush(): Promise<void>;
  /** Highest bucket revision this collector wrote (the fleet view's watchdog). */
  lastWritten(): number;
  /** Prune the local read model (collector/sqlite_store.ts `prune`). */
  prune(rawBefore: number, minutesBefore: number): Promise<{ readonly records: number; readonly minutes: number }>;
  close(): Promise<void>;
}

/** A request for a partition's minute aggregates (JSON over NATS request/reply). */
export type OwnerQuery =
  | { readonly op: "history"; readonly node: string; readonly probe: string; readonly from: number; readonly to: number; readonly step: number }
  | { readonly op: "latency"; readonly probe: string; readonly from: number; readonly to: number; readonly nodes: readonly string[] }
  | { readonly op: "minutes"; readonly probe: string; readonly from: number; readonly to: number; readonly nodes?: readonly string[] };

/** The answer to a "minutes" query: the partition's merged counts and latency sketch. */
export interface MinutesAnswer {
  readonly count: number;
  readonly ok: number;
  readonly failures: Record<string, number>;
  /** collector/sketch.ts serialization, base64. */
  readonly sketch: string;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export interface OwnerDeps {
  readonly log: LogFn;
  /**
   * The stream sequence of partition `p`'s newest message (0: none), asked once per acquire: a
   * partition whose newest message this collector applied already has nothing to replay and is
   * live at once. Without it (or when it fails), a partition turns live only at a message with
   * nothing pending behind it, and one whose agents all went quiet never would.
   */
  readonly partitionEnd?: (p: number) => Promise<number>;
}

export async function openOwner(
  nc: NatsConnection,
  js: JetStreamClient,
  kv: KV,
  view: FleetView,
  options: OwnerOptions,
  deps: OwnerDeps,
): Promise<Owner> {
  const { log } = deps;
  // Node checkpoints in the 1 s tick's transaction only, not 32 with each apply window's: an
  // owner's windows are small (a third of the fleet's batches with 3 collectors), and each one
  // rewrote the pages its few nodes share with others (3 owners: 1.9x one owner's SQLite page
  // writes per record, strace; docs/scale-out.md, "Fifth pass", where the CPU effect is within
  // the bench's spread).
  const readModel: Store = await openSqliteStore({ path: options.readModel, raw: options.raw, synchronous: "normal", checkpointMs: options.checkpointMs, nodesPerGroup: 0, nodesPerTick: NODES_PER_TICK });
  // A second connection to the same WAL file: the resume position per partition, and the minute
  // rows for latency merged across partitions (the read model answers in quantiles, which cannot
  // be merged). Those rows are as of the read model's last checkpoint (`checkpointMs`).
  const db: Database = await openDatabase(options.readModel);
  db.exec("CREATE TABLE IF NOT EXISTS jetstream_partition (stream TEXT NOT NULL, partition INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (stream, partition))");
  const posGet = db.prepare("SELECT seq FROM jetstream_partition WHERE stream = ? AND partition = ?");
  const posPut = db.prepare("INSERT INTO jetstream_partition (stream, partition, seq) VALUES (?, ?, ?) ON CONFLICT (stream, partition) DO UPDATE SET seq = excluded.seq");
  const minutesOf = db.prepare("SELECT agent_id, count, ok, failures, sketch FROM minutes WHERE probe = ? AND minute >= ? AND minute < ?");

  interface Held {
    readonly follower: Follower;
    /** Started from a saved position (not from the stream's start): the counters before it are in the shared entries. */
    readonly resumed: boolean;
    readonly sub: Subscription;
    live: boolean;
    saved: number;
    /** Highest stream sequence this collector published into the partition (the follower's watchdog). */
    lastKnown: number;
    /** Messages of the partition the server still held for this consumer at the last delivery (its `num_pending`). */
    pending: number;
  }
  const held = new Map<number, Held>();
  /** Batches this collector publishes, by Nats-Msg-Id, until their owner here applies them. */
  const own = new Map<string, { batch: Batch; receivedAt: number }>();
  /** Per node: counters since this collector rebuilt its partition, and whether it changed since the last flush. */
  const counters = new Map<string, { records: number; duplicates: number; gap: number }>();
  const dirty = new Set<string>();
  /**
   * Dirty nodes whose change the fleet must see soon (a probe state, verdict, event, new boot):
   * written every `flushEvery`; the others every `routineEvery`. One entry costs a read of the
   * node from the read model (about 0.3 ms) and a parse on every collector, so writing a node
   * at each batch was a fifth of an owner's CPU in bench/nats.ts.
   */
  const urgent = new Set<string>();
  const unsubscribe = readModel.subscribe((c) => urgent.add(c.type === "node" ? c.node.id : c.node));
  const revisions = new Map<string, number>();
  /** Per node: when this owner last wrote its entry (a routine write is due `routineEvery` after). */
  const writtenAt = new Map<string, number>();
  /** When the owner last applied a batch (idle after IDLE_MS). */
  let appliedAt = 0;
  /** Per node: the events last written (eventsMark) and when. */
  const eventsWritten = new Map<string, { mark: string; at: number }>();
  let closed = false;
  let lastWritten = 0;
  /** What this owner did, logged at close (the benchmark's breakdown). */
  const work = { batches: 0, decoded: 0, flushes: 0, entries: 0, routine: 0, events: 0, ms: 0 };

  /**
   * Batches from every held partition handed to the read model together, every APPLY_EVERY ms:
   * its group commit then writes one transaction for all of them. Messages of a partition arrive
   * one socket read at a time, and a commit per few batches rewrote the same pages of the probes,
   * nodes and minutes tables over and over (SQLite's share of an owner's CPU grew with the number
   * of collectors in bench/nats.ts).
   */
  let gather: { batch: Batch; receivedAt: number; wire?: Uint8Array; resolve: (o: Promise<IngestOutcome>) => void }[] = [];
  let gatherTimer: ReturnType<typeof setTimeout> | undefined;
  const applyGathered = () => {
    gatherTimer = undefined;
    const items = gather;
    gather = [];
    for (const it of items) it.resolve(readModel.ingest(it.batch, it.receivedAt, it.wire));
  };
  const gathered = (batch: Batch, receivedAt: number, wire?: Uint8Array): Promise<IngestOutcome> =>
    new Promise<Promise<IngestOutcome>>((resolve) => {
      gather.push({ batch, receivedAt, wire, resolve });
      if (gather.length >= 256) {
        if (gatherTimer) clearTimeout(gatherTimer);
        applyGathered();
      } else gatherTimer ??= setTimeout(applyGathered, APPLY_EVERY);
    }).then((p) => p);

  const partitionOfAgent = (agentId: string) => partitionOf(encodeToken(agentId), options.partitions);

  const apply = (p: number) => async (m: JsMsg) => {
    const id = m.headers?.get("Nats-Msg-Id");
    const mine = id ? own.get(id) : undefined;
    if (mine) own.delete(id!);
    work.batches++;
    let batch = mine?.batch;
    if (!batch) {
      batch = decodeBatch(m.data);
      work.decoded++;
    }
    const receivedAt = mine?.receivedAt ?? (Number(m.headers?.get(RECEIVED_AT_HEADER) ?? "") || m.info.timestampNanos / 1e6);
    const delivered = held.get(p);
    if (delivered) delivered.pending = m.info.pending;
    // The message's bytes are the batch's records in wire format v1 (the ingest request's body,
    // or the new records encoded again: collector/jetstream_ingest.ts), which the read model's
    // journal row takes as they are: without them it encoded every batch again with cbor-x
    // (1.5-3 % of an owner's CPU samples, bench/fleet.ts --only jetstream; docs/scale-out.md).
    const out = await gathered(batch, receivedAt, m.data);
    appliedAt = Date.now();
    const c = counters.get(batch.agentId) ?? seedCounters(batch.agentId, p);
    c.records += out.stored;
    c.duplicates += out.duplicates;
    c.gap += out.gap;
    counters.set(batch.agentId, c);
    dirty.add(batch.agentId);
    const h = held.get(p);
    if (h && m.info.pending === 0) h.live = true;
  };

  /**
   * A node first seen since this collector holds its partition: when the partition resumed from
   * a saved position (not replayed from the start), the counters before it are in the shared entry.
   */
  const seedCounters = (agentId: string, p: number) => {
    // Decided at acquire: the position table is rewritten while the partition replays (every
    // SAVE_EVERY, the first time at the first flush tick), and reading it here counted a node
    // first seen after that save twice (the previous owner's counters plus the whole replay; a
    // slow replay in tests/nats/takeover_test.ts, 2026-12-01).
    const resumed = held.get(p)?.resumed === true;
    const prev = resumed ? view.entry(agentId)?.entry : undefined;
    return { records: prev?.records ?? 0, duplicates: prev?.duplicates ?? 0, gap: prev?.gap ?? 0 };
  };

  const answer = async (q: OwnerQuery, p: number): Promise<unknown> => {
    const h = held.get(p);
    // Replaying a taken partition: what the read model holds is partial (docs/scale-out.md).
    if (h && !h.live) return { error: `Cannot answer for partition ${p}: it is being replayed after a takeover (applied through stream sequence ${h.follower.applied()})`, replaying: true };
    if (q.op === "history") {
      return { points: await readModel.history(q.node, q.probe, { from: q.from, to: q.to }, q.step) ?? null };
    }
    if (q.op === "latency") return await readModel.latency(q.probe, { from: q.from, to: q.to }, q.nodes);
    const only = q.nodes && q.nodes.length > 0 ? new Set(q.nodes) : undefined;
    const sketch = newSketch();
    let count = 0, ok = 0;
    const failures: Record<string, number> = {};
    for (const r of minutesOf.all(q.probe, Math.floor(q.from / MINUTE) * MINUTE, q.to)) {
      const id = String(r.agent_id);
      if (only ? !only.has(id) : partitionOfAgent(id) !== p) continue;
      count += Number(r.count);
      ok += Number(r.ok);
      for (const [k, v] of Object.entries(JSON.parse(String(r.failures)) as Record<string, number>)) failures[k] = (failures[k] ?? 0) + v;
      mergeInto(sketch, deserializeSketch(r.sketch as Uint8Array));
    }
    const answer: MinutesAnswer = { count, ok, failures, sketch: Buffer.from(serializeSketch(sketch)).toString("base64") };
    return answer;
  };

  const acquire = async (p: number) => {
    if (held.has(p) || closed) return;
    const after = Number(posGet.get(options.stream, p)?.seq ?? 0);
    const sub = nc.subscribe(querySubject(options.subjectPrefix, options.stream, p), {
      callback: (err, msg) => {
        if (err) return;
        let q: OwnerQuery;
        try {
          q = JSON.parse(dec.decode(msg.data));
        } catch {
          return void msg.respond(enc.encode(JSON.stringify({ error: "Cannot answer query: not JSON" })));
        }
        answer(q, p).then(
          (a) => msg.respond(enc.encode(JSON.stringify(a))),
          (e) => msg.respond(enc.encode(JSON.stringify({ error: `Cannot answer query: ${(e as Error).message}` }))),
        );
      },
    });
    const h: Held = {
      sub,
      resumed: after > 0,
      live: false,
      saved: after,
      lastKnown: 0,
      pending: 0,
      follower: follow(js, { stream: options.stream, filter: partitionFilter(options.subjectPrefix, p), after, name: `partition ${p}` }, apply(p), {
        log,
        lastKnown: () => held.get(p)?.lastKnown ?? 0,
      }),
    };
    held.set(p, h);
    deps.partitionEnd?.(p).then(
      (end) => {
        if (end <= after && held.get(p) === h) h.live = true;
      },
      (e) => log("debug", "collector: cannot read a partition's newest sequence; live at its first caught-up message", { partition: p, error: (e as Error).message }),
    );
  };

  const release = async (p: number, why: string) => {
    const h = held.get(p);
    if (!h) return;
    await h.follower.stop();
    h.sub.unsubscribe();
    if (why !== "lost") await flush();
    savePosition(p, h);
    held.delete(p);
    log("info", "collector: released a partition", { partition: p, why, applied: h.follower.applied() });
  };

  const savePosition = (p: number, h: Held) => {
    const a = h.follower.applied();
    if (a > h.saved) {
      posPut.run(options.stream, p, a);
      h.saved = a;
    }
  };

  let flushing: Promise<void> | undefined;
  let savedAt = 0;
  const flushOnce = async (all: boolean) => {
    const now = Date.now();
    work.flushes++;
    // Urgent nodes now; the others once `routineEvery` passed since their own last write (spread
    // over time as the nodes' writes are), or all of them when forced or idle. Before, every dirty
    // node was written every max(1 s, 4 × stateEvery): once per agent batch in bench/fleet (5 s
    // batches), and each write reaches every collector's view (docs/scale-out.md, "Fourth pass").
    const idle = now - appliedAt >= IDLE_MS;
    const ids = all || idle ? [...dirty] : [...dirty].filter((id) => urgent.has(id) || now - (writtenAt.get(id) ?? 0) >= options.routineEvery);
    const changed = new Set(ids.filter((id) => urgent.has(id)));
    for (const id of ids) {
      dirty.delete(id);
      urgent.delete(id);
    }
    if (all) urgent.clear();
    const writes: Promise<void>[] = [];
    for (const id of ids) {
      const p = partitionOfAgent(id);
      const h = held.get(p);
      if (!h) continue; // no longer ours: the new owner writes it
      if (!h.live) {
        dirty.add(id); // replaying: do not publish a node's state from before the partition's end
        continue;
      }
      const t0 = performance.now();
      writtenAt.set(id, now);
      if (writtenAt.size > 100_000) writtenAt.clear(); // a miss writes the node at the next tick
      const node = await readModel.node(id, now);
      work.ms += performance.now() - t0;
      work.entries++;
      if (!node) continue;
      const c = counters.get(id) ?? { records: 0, duplicates: 0, gap: 0 };
      const entry: NodeEntry = { v: 2, p, by: options.collectorId, node, ...c };
      // The events only when they changed (their own entry: most node writes carry new results only).
      const mark = eventsMark(node.events), was = eventsWritten.get(id);
      // Routine: only new results since this owner's last write of the node (views parse it when read).
      const routine = !changed.has(id) && was !== undefined;
      if (routine) work.routine++;
      writes.push(writeEntry(nodeKey(id), id, p, encodeEntry(entry, routine), () => view.entry(id)?.revision));
      if (!was || was.mark !== mark || now - was.at >= options.eventsRefresh) {
        eventsWritten.set(id, { mark, at: now });
        work.events++;
        if (eventsWritten.size > 100_000) eventsWritten.clear(); // a miss rewrites the events once
        writes.push(writeEntry(eventsKey(id), id, p, encodeEvents({ v: 2, id, by: options.collectorId, events: node.events }), () => view.eventsRevision(id)));
      }
      if (writes.length >= 256) await Promise.all(writes.splice(0));
    }
    await Promise.all(writes);
    if (now - savedAt >= SAVE_EVERY) {
      // One transaction for every partition (each save was a commit of its own, every second).
      savedAt = now;
      db.exec("BEGIN");
      try {
        for (const [p, h] of held) savePosition(p, h);
      } finally {
        db.exec("COMMIT");
      }
    }
  };
  /**
   * Compare-and-set on the revision this collector last wrote or saw, so a collector that lost
   * its lease and has not noticed yet cannot overwrite what the new owner wrote.
   */
  const writeEntry = async (key: string, id: string, p: number, data: Uint8Array, seen: () => number | undefined) => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const rev = revisions.get(key) ?? seen();
      try {
        const r = rev ? await kv.update(key, data, rev) : await kv.create(key, data);
        revisions.set(key, r);
        if (r > lastWritten) lastWritten = r;
        if (revisions.size > 100_000) revisions.clear(); // a miss falls back to the view's revision
        return;
      } catch (e) {
        revisions.delete(key);
        if (key !== nodeKey(id)) eventsWritten.delete(id); // written again at the next change
        if (!held.has(p)) return;
        const cur = await kv.get(key).catch(() => null);
        if (cur) revisions.set(key, cur.revision);
        if (attempt === 1) log("warn", "collector: cannot write a node entry", { node: id, error: (e as Error).message });
      }
    }
  };
  /** One flush at a time; a flush asked for while one runs follows it. */
  const flush = (all = true): Promise<void> => {
    const next: Promise<void> = (flushing ?? Promise.resolve())
      .then(() => flushOnce(all))
      .catch((e) => log("warn", "collector: cannot write the changed nodes", { error: (e as Error).message }))
      .finally(() => {
        if (flushing === next) flushing = undefined;
      });
    flushing = next;
    return next;
  };
  const timer = setInterval(() => {
    if (!flushing) void flush(false);
  }, options.flushEvery);
  (timer as { unref?: () => void }).unref?.();

  return {
    acquire,
    release,
    publishing(msgId, p, batch, receivedAt) {
      if (!held.has(p)) return;
      if (own.size >= 100_000) own.clear(); // a stalled partition: decode again rather than grow
      own.set(msgId, { batch, receivedAt });
    },
    published(msgId, p, seq) {
      const h = held.get(p);
      if (seq === undefined || !h || seq <= h.follower.applied()) own.delete(msgId);
      if (h && seq !== undefined && seq > h.lastKnown) h.lastKnown = seq;
    },
    status: () => [...held].map(([partition, h]) => ({ partition, applied: h.follower.applied(), live: h.live })),
    live: (p) => held.get(p)?.live === true,
    lag: () => {
      let n = 0;
      for (const h of held.values()) n += h.pending;
      return n;
    },
    flush: () => flush(true),
    lastWritten: () => lastWritten,
    prune: (rawBefore, minutesBefore) => readModel.prune(rawBefore, minutesBefore),
    async close() {
      closed = true;
      clearInterval(timer);
      unsubscribe();
      if (gatherTimer) clearTimeout(gatherTimer);
      applyGathered();
      for (const p of [...held.keys()]) await release(p, "close");
      await flushing;
      log("info", "collector: partition owner stopped", { ...work, ms: Math.round(work.ms) });
      db.close();
      await readModel.close();
    },
  };
}
