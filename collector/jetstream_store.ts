/**
 * @module The collector's Store on NATS JetStream: several collectors share one fleet and split
 * its work (docs/scale-out.md). This file only wires the parts:
 * - collector/jetstream_setup.ts: connection, stream, buckets;
 * - collector/jetstream_ingest.ts: the write side (shared ack by compare-and-set, publish), run
 *   by whichever collector an agent sends to;
 * - collector/jetstream_leases.ts: which partitions this collector consumes;
 * - collector/jetstream_owner.ts: those partitions into a local read model, changed nodes out to
 *   the bucket, minute aggregates answered on request;
 * - collector/jetstream_view.ts: every node's shared entry, which answers the fleet API and SSE.
 */
import * as fs from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { Buffer } from "node:buffer";
import { jetstreamManager } from "@nats-io/jetstream";
import type { LogFn } from "../common/mod.ts";
import { deserializeSketch, mergeInto, newSketch, quantile, RELATIVE_ERROR } from "./sketch.ts";
import { follow } from "./jetstream_follow.ts";
import { createIngest } from "./jetstream_ingest.ts";
import { encodeToken, leaseKey, partitionFilter, partitionOf, querySubject } from "./jetstream_keys.ts";
import { type Leases, startLeases } from "./jetstream_leases.ts";
import type { PackOptions } from "./lease_policy.ts";
import { processLoadMeter } from "./process_load.ts";
import { type MinutesAnswer, openOwner, type Owner, type OwnerQuery } from "./jetstream_owner.ts";
import { type SetupOptions, setupNats } from "./jetstream_setup.ts";
import { createFleetView } from "./jetstream_view.ts";
import { createSteer, parseLeaseHolder } from "./jetstream_steer.ts";
import { type HistoryPoint, type LatencySummary, type Store, StoreUnavailableError } from "./store.ts";

export { ackKey, encodeToken, eventsKey, nodeKey } from "./jetstream_keys.ts";
export { RECEIVED_AT_HEADER } from "./jetstream_owner.ts";

export interface JetstreamStoreOptions extends Omit<SetupOptions, "keyTtl"> {
  /** Take partition leases: as a member (true), only while no member is alive ("standby"), never (false). Config `store.consume`. @default true */
  readonly consume?: boolean | "standby";
  /** How the members share the partitions: over every member, or packed onto the fewest that keep up. Config `store.balance`. @default "spread" */
  readonly balance?: "spread" | "pack";
  /** Water marks (fractions of the CPU a collector may use) and dwell of `balance: pack`. @default collector/lease_policy.ts PACK_DEFAULTS */
  readonly pack?: { readonly high?: number; readonly low?: number; readonly dwell?: number };
  /** This process's CPU load for `balance: pack` (tests inject one). @default processLoadMeter() */
  readonly cpuLoad?: () => number;
  /**
   * Checkpoint of the owner's read model: a latency over nodes of several partitions merges the
   * minute rows as of it. @default 5000
   */
  readonly readModelCheckpointMs?: number;
  /** Lifetime of `ack.*` / `node.*` entries not rewritten. @default 30 days (retention.history's default) */
  readonly keyTtl?: number;
  /**
   * The base URL agents reach this collector by (config `store.advertise`): written into its
   * leases, and the condition for naming another collector in ingest answers (`steer`). @default unset
   */
  readonly advertise?: string;
}

export interface JetstreamStoreDeps {
  readonly log: LogFn;
}

/** The store plus what tests, the benchmark and /metrics may want to see. */
export interface JetstreamStore extends Store {
  readonly collectorId: string;
  /** Partitions this collector holds, with the stream sequence applied and whether each caught up. */
  partitions(): { readonly partition: number; readonly applied: number; readonly live: boolean }[];
  /** The lease members seen at the last tick, how many are active (consume), and this collector's place (-1: not a member). */
  balance(): { readonly members: number; readonly active: number; readonly index: number };
  /** Write this collector's changed nodes to the bucket now (tests). */
  flush(): Promise<void>;
  /**
   * True when this collector holds the lease of `agentId`'s partition and caught up on it: the
   * one collector that evaluates that agent's alarms (collector/alarms/mod.ts), so a cluster
   * raises each alarm once. While a taken partition replays, nobody does.
   */
  owns(agentId: string): boolean;
}

const dec = new TextDecoder();
const enc = new TextEncoder();
const DAY = 86_400_000;
/**
 * Default `store.routineEvery`: a node with only new results is written at most this often.
 * Each node write reaches every collector's view, so at one write per agent batch (1 s before,
 * shorter than the simulator's 5 s batch interval) it was part of the cost that grows with the
 * number of collectors. 15 s is three of the simulator's batch intervals and well inside
 * `staleAfter` (2 min), which decides whether a node shows online (docs/scale-out.md).
 */
const ROUTINE_EVERY = 15_000;

/** `store.pack` (config: `dwell` in ms) as the policy's options (`dwellMs`); unset keys take PACK_DEFAULTS. */
const packOptions = (p: JetstreamStoreOptions["pack"]): Partial<PackOptions> | undefined => {
  if (!p) return undefined;
  const { dwell, ...rest } = p;
  return dwell === undefined ? rest : { ...rest, dwellMs: dwell };
};

/**
 * Connect, create what is missing, load the shared fleet view and start taking partitions.
 * @throws {Error} "Cannot connect to NATS …", "Cannot create JetStream stream …"
 */
export async function openJetstreamStore(options: JetstreamStoreOptions, deps: JetstreamStoreDeps): Promise<JetstreamStore> {
  const { log } = deps;
  const collectorId = options.collectorId ?? `${encodeToken(hostname()).slice(0, 40)}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const keyTtl = options.keyTtl ?? 30 * DAY;
  const { nc, js, jsm, kv, leases: leaseKv } = await setupNats({ ...options, keyTtl }, log);

  // deno-lint-ignore prefer-const
  let owner: Owner | undefined;
  // ---- the shared view: every node's entry, on every collector ----
  const view = createFleetView({ log: (msg, f) => log("warn", msg, f) });
  const kvStream = `KV_${options.bucket}`;
  const kvPrefix = `$KV.${options.bucket}.node.`;
  const viewer = follow(js, { stream: kvStream, filter: `${kvPrefix}>`, lastPerSubject: true, after: 0, name: "fleet view" }, (m) => {
    // A delete or purge marker has no body: the headers (parsed by the client on access, a few µs
    // per message on every collector) are read only then.
    const op = m.data.length === 0 ? m.headers?.get("KV-Operation") : undefined;
    view.apply(m.subject.slice(kvPrefix.length), op === "DEL" || op === "PURGE" ? undefined : m.data, m.info.streamSequence);
  }, { log, lastKnown: () => owner?.lastWritten() ?? 0 });
  // Serve only with the whole fleet in view (bounded: a bucket that does not answer is logged).
  const nodeKeys = await jsm.streams.info(kvStream, { subjects_filter: `${kvPrefix}>` }).then((i) => Object.keys(i.state.subjects ?? {}).length, () => 0);
  if (nodeKeys > 0) {
    const t = setTimeout(() => log("warn", "collector: the fleet view is still loading after 30 s", { nodes: nodeKeys }), 30_000);
    await viewer.caughtUp;
    clearTimeout(t);
  }

  // ---- the partitions this collector consumes ----
  let readModel = options.readModel;
  let temporary: string | undefined;
  if (readModel === ":memory:") {
    temporary = fs.mkdtempSync(join(tmpdir(), "edgeprobe-owner-"));
    readModel = join(temporary, "read.db");
  }
  owner = await openOwner(nc, js, kv, view, {
    stream: options.stream, subjectPrefix: options.subjectPrefix, partitions: options.partitions, collectorId,
    readModel, raw: options.raw, flushEvery: Math.max(20, options.stateEvery), routineEvery: options.routineEvery ?? Math.max(ROUTINE_EVERY, 4 * options.stateEvery), checkpointMs: options.readModelCheckpointMs ?? 5000, eventsRefresh: Math.min(600_000, keyTtl / 2), timeout: options.timeout,
  }, {
    log,
    // Wildcard `last_by_subj` (nats-server 2.9.10 answers it; checked against Debian's build).
    partitionEnd: async (p) => (await jsm.streams.getMessage(options.stream, { last_by_subj: partitionFilter(options.subjectPrefix, p) }))?.seq ?? 0,
  });
  // Lease requests give up after at most 1 s, as the lease bucket's (collector/jetstream_setup.ts).
  const leaseJsm = await jetstreamManager(nc, { timeout: Math.min(options.timeout, 1000), checkAPI: false });
  // `consume: false`: no lease member, no partition; "standby": partitions only while no member is alive (docs/scale-out.md, "Sixth pass").
  // The CPU over the last leaseTtl (four ticks): a burst of a second or two (the first states of
  // 2,000 agents starting at once, bench/fleet/jetstream.ts) read over two ticks made the leader
  // grow, and the dwell then kept two members busy for 30 s (docs/scale-out.md, "Seventh pass").
  const cpuLoad = options.cpuLoad ?? (options.balance === "pack" ? processLoadMeter({ windowMs: options.leaseTtl }) : () => 0);
  const leases: Leases = options.consume === false
    ? { owned: () => [], balance: () => ({ members: 0, active: 0, index: -1 }), tick: () => Promise.resolve(), close: () => Promise.resolve() }
    : startLeases({ kv: leaseKv, jsm: leaseJsm, stream: `KV_${options.bucket}_leases` }, {
      partitions: options.partitions, collectorId, ttlMs: options.leaseTtl, standby: options.consume === "standby", advertise: options.advertise,
      balance: options.balance, pack: packOptions(options.pack), load: () => ({ cpu: cpuLoad(), lag: owner!.lag() }),
    }, {
    acquire: (p) => owner!.acquire(p),
    release: (p, why) => owner!.release(p, why),
    log,
  });
  await leases.tick();

  const ingest = createIngest(js, kv, options, owner);
  // Steering: an answer for an agent of a partition another collector holds names that one's URL.
  const steer = createSteer({ partitions: options.partitions, collectorId, advertise: options.advertise, ttlMs: options.leaseTtl }, {
    holds: (p) => leases.owned().includes(p),
    lookup: async (p) => {
      const e = await leaseKv.get(leaseKey(p));
      return e && e.operation === "PUT" ? parseLeaseHolder(e.string()) : undefined;
    },
    now: () => performance.now(),
    log,
  });
  let closed = false;

  /** Ask the owner of partition `p`. @throws {Error} "Cannot read … partition p has no owner" */
  const ask = async <T>(p: number, q: OwnerQuery): Promise<T> => {
    let reply;
    try {
      reply = await nc.request(querySubject(options.subjectPrefix, options.stream, p), enc.encode(JSON.stringify(q)), { timeout: options.timeout });
    } catch (e) {
      // No owner during a takeover (leaseTtl plus a tick): worth a retry after about that long.
      throw new StoreUnavailableError(`Cannot read the minute aggregates of partition ${p}: no owner answered (${(e as Error).message})`, Math.max(1, Math.ceil(options.leaseTtl / 1000)), { cause: e });
    }
    const a = JSON.parse(dec.decode(reply.data)) as T & { error?: string; replaying?: boolean };
    if (a.error) throw a.replaying ? new StoreUnavailableError(a.error, 5) : new Error(a.error);
    return a;
  };
  const partitionOfNode = (id: string) => partitionOf(encodeToken(id), options.partitions);

  const store: JetstreamStore = {
    collectorId,
    ingest: (batch, receivedAt, wire) => {
      if (closed) return Promise.reject(new Error("Cannot store telemetry batch: the store is closed"));
      return ingest(batch, receivedAt, wire);
    },
    steer: (agentId) => closed ? undefined : steer.hint(agentId),
    fleet: () => Promise.resolve(view.fleet()),
    node: (id) => Promise.resolve(view.node(id)),
    history: async (node, probe, w, step) => {
      if (!view.node(node)?.probeList.some((p) => p.name === probe)) return undefined;
      const a = await ask<{ points: HistoryPoint[] | null }>(partitionOfNode(node), { op: "history", node, probe, from: w.from, to: w.to, step });
      return a.points ?? undefined;
    },
    latency: async (probe, w, nodes) => {
      // Nodes of one partition: its owner answers from its read model, up to the last record.
      const one = nodes && nodes.length > 0 && new Set(nodes.map(partitionOfNode)).size === 1;
      if (one) return await ask<LatencySummary>(partitionOfNode(nodes[0]), { op: "latency", probe, from: w.from, to: w.to, nodes });
      // Several partitions: each owner merges its nodes' minute sketches (as of its read model's
      // last checkpoint), and the sketches merge here.
      const wanted = new Map<number, string[] | undefined>();
      if (nodes && nodes.length > 0) {
        for (const id of nodes) {
          const p = partitionOfNode(id);
          wanted.set(p, [...(wanted.get(p) ?? []), id]);
        }
      } else {
        for (const id of new Set(view.fleet().map((n) => partitionOfNode(n.id)))) wanted.set(id, undefined);
      }
      const answers = await Promise.all([...wanted].map(([p, ids]) => ask<MinutesAnswer>(p, { op: "minutes", probe, from: w.from, to: w.to, ...(ids ? { nodes: ids } : {}) })));
      const s = newSketch();
      let count = 0, ok = 0;
      const failures: Record<string, number> = {};
      for (const a of answers) {
        count += a.count;
        ok += a.ok;
        for (const [k, v] of Object.entries(a.failures)) failures[k] = (failures[k] ?? 0) + v;
        mergeInto(s, deserializeSketch(new Uint8Array(Buffer.from(a.sketch, "base64"))));
      }
      const out: LatencySummary = { count, ok, failures: failures as LatencySummary["failures"], relativeError: RELATIVE_ERROR };
      if (count === 0) return out;
      const q = (x: number) => {
        const v = quantile(s, x);
        return v === undefined ? undefined : Math.round(v) / 1000;
      };
      return { ...out, p50: q(0.5), p90: q(0.9), p99: q(0.99) };
    },
    probes: () => Promise.resolve(view.probes()),
    stats: () => Promise.resolve(view.stats()),
    // The stream expires raw batches (max_age) and the bucket its entries (keyTtl); the local read
    // model prunes what this collector holds, and the view forgets nodes whose entries expired.
    prune: async (rawBefore, minutesBefore) => {
      view.prune(Date.now() - keyTtl);
      return await owner!.prune(rawBefore, minutesBefore);
    },
    subscribe: (l) => view.subscribe(l),
    partitions: () => owner!.status(),
    balance: () => leases.balance(),
    flush: () => owner!.flush(),
    // Held and caught up: while a taken partition replays (docs/scale-out.md, "Takeover and
    // replay"), its entries still carry the dead owner's lastSeen, and evaluating its alarms then
    // raised agent-silent for every node of it once the replay outlasted staleAfter.
    owns: (agentId) => owner!.live(partitionOfNode(agentId)),
    async close() {
      if (closed) return;
      closed = true;
      // Hand the partitions back first (flushed, leases deleted), so another collector takes over at once.
      await leases.close();
      await owner!.close();
      await viewer.stop();
      await nc.drain().catch(() => nc.close());
      if (temporary) fs.rmSync(temporary, { recursive: true, force: true });
    },
  };
  return store;
}
