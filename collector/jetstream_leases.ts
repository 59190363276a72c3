/**
 * @module Partition leases on a JetStream key-value bucket whose entries expire (bucket TTL =
 * `leaseTtl`): at most one collector consumes a partition at a time, and a dead collector's
 * partitions are taken over within `leaseTtl` plus one tick. docs/scale-out.md, "Partitions and
 * leases".
 *
 * Keys: `m.<collector>` (a live member, rewritten every tick) and `p.<partition>` (the owner,
 * renewed every tick by compare-and-set on its revision), each `{ owner, at, url? }` (`url`: the
 * owner's `store.advertise`, read by collector/jetstream_steer.ts). An entry that is not rewritten within
 * the TTL is removed by the server (stream max_age), so `create` succeeds for the next collector.
 * A tick lists the keys with one stream-info request (`subjects_filter`), not a key listing (which
 * creates and deletes a consumer: with three collectors ticking every 500 ms that was a third of
 * an idle cluster's CPU, bench/nats_idle.ts); so a lease handed back is purged up to its revision
 * (no delete marker, which the listing would count as held), never deleted.
 * Every tick (TTL/4) a collector renews what it holds, counts the live members, and takes free partitions
 * until it holds its share, or hands back those above its share. The share (`store.balance`):
 * `spread` gives every member `ceil(partitions / members)`; `pack` gives the first `k` members in
 * id order `ceil(partitions / k)` and the others none, `k` being the fewest members that keep up
 * with the load each member reports in its entry (collector/lease_policy.ts: decided by the first
 * member, followed by the others).
 */
import type { KV } from "@nats-io/kv";
import type { JetStreamManager } from "@nats-io/jetstream";
import type { LogFn } from "../common/mod.ts";
import { leaseKey, memberKey } from "./jetstream_keys.ts";
import { initialPack, nextPack, PACK_DEFAULTS, type MemberLoad, type PackOptions, type PackState, packShare } from "./lease_policy.ts";

export interface LeaseOptions {
  readonly partitions: number;
  readonly collectorId: string;
  /** The lease bucket's TTL; a tick runs every ttl/4. */
  readonly ttlMs: number;
  /**
   * A standby: not a member (no `m.<collector>` entry, so the members split the partitions
   * without it), it takes every free partition while no member is alive and hands them back at
   * the first tick that sees one (config `store.consume: standby`, docs/scale-out.md).
   */
  readonly standby?: boolean;
  /**
   * How the members share the partitions (config `store.balance`): "spread" splits them over every
   * member; "pack" over the fewest that keep up (collector/lease_policy.ts). @default "spread"
   */
  readonly balance?: "spread" | "pack";
  /** Water marks and dwell of "pack". @default PACK_DEFAULTS */
  readonly pack?: Partial<PackOptions>;
  /** This member's load, read once a tick: process CPU as a fraction of what it may use, and its consumers' lag in messages. */
  readonly load?: () => { readonly cpu: number; readonly lag: number };
  /**
   * The base URL agents reach this collector by (config `store.advertise`): written into its
   * entries as `url`, so a collector that ingests for an agent of a partition held here can
   * steer the agent to it (collector/jetstream_steer.ts).
   */
  readonly advertise?: string;
}

/**
 * A member whose consumers' lag grew over its last two ticks counts as behind once the lag is at
 * least this many messages (batches): below it, a lag that grows for two ticks is a burst that
 * the next pull takes (a pull asks for up to 1000 messages, collector/jetstream_follow.ts).
 */
export const BEHIND_LAG = 200;

export interface LeaseHooks {
  /** Start consuming `p` (the lease is held). */
  acquire(p: number): Promise<void>;
  /** Stop consuming `p`: "lost" (renewal failed, another may own it already), "handover" or "close". */
  release(p: number, why: "lost" | "handover" | "close"): Promise<void>;
  readonly log: LogFn;
}

export interface Leases {
  owned(): readonly number[];
  /** The live members seen at the last tick, the active ones among them (all with "spread"), and this member's place (-1: not a member). */
  balance(): { readonly members: number; readonly active: number; readonly index: number };
  /** Run one tick now (tests; start-up). */
  tick(): Promise<void>;
  /** Release every lease (deleted, so another collector takes over at its next tick). */
  close(): Promise<void>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Partitions in the order a collector tries them: spread by its id, so starters do not all race for partition 0. */
export function preferenceOrder(collectorId: string, partitions: number): number[] {
  let h = 0;
  for (const c of collectorId) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
  return Array.from({ length: partitions }, (_, i) => (h + i) % partitions);
}

/**
 * The lease bucket: its KV handle, and a stream manager (both with a short request timeout) with the
 * bucket's stream name (`KV_<bucket>`) for the listing and the purges.
 */
export interface LeaseBucket {
  readonly kv: KV;
  readonly jsm: JetStreamManager;
  readonly stream: string;
}

export function startLeases(bucket: LeaseBucket, options: LeaseOptions, hooks: LeaseHooks): Leases {
  const { kv, jsm, stream } = bucket;
  const { partitions, collectorId, ttlMs } = options;
  /** Subject prefix of the bucket's keys: `$KV.<bucket>.` (ADR-8). */
  const prefix = `$KV.${stream.slice(3)}.`;
  /** Remove this collector's entry `key` up to its `revision`: an entry another collector wrote since stays. */
  const purge = (key: string, revision?: number) =>
    jsm.streams.purge(stream, revision === undefined ? { filter: prefix + key } : { filter: prefix + key, seq: revision + 1 }).then(() => {}, () => {});
  const held = new Map<number, { revision: number; renewedAt: number }>();
  /** A lease or member entry: who and when, plus what a member reports (its load, the active count it follows). */
  const value = (extra?: Record<string, unknown>) => enc.encode(JSON.stringify({ owner: collectorId, at: Date.now(), ...(options.advertise ? { url: options.advertise } : {}), ...extra }));
  const pack = options.balance === "pack";
  const packOptions: PackOptions = { ...PACK_DEFAULTS, ...options.pack };
  /** The leader's policy state (while this member leads), and the active count it follows otherwise. */
  let packState: PackState | undefined;
  let active = 1;
  const lags: number[] = [];
  let seen = { members: 0, active: 0, index: -1 };
  /** This member's load for its entry (pack only: a spread member's entry stays `{owner, at}`). */
  const memberLoad = () => {
    if (!pack) return undefined;
    const l = options.load?.() ?? { cpu: 0, lag: 0 };
    lags.push(l.lag);
    if (lags.length > 3) lags.shift();
    const behind = lags.length === 3 && lags[0] < lags[1] && lags[1] < lags[2] && lags[2] >= BEHIND_LAG;
    return { cpu: +l.cpu.toFixed(3), lag: l.lag, behind, k: active };
  };
  /** Another member's entry (pack): its reported load, and the active count it follows. */
  const readMember = async (key: string): Promise<(MemberLoad & { k?: number }) | undefined> => {
    try {
      const e = await kv.get(key);
      if (!e || e.operation !== "PUT") return undefined;
      const v = JSON.parse(dec.decode(e.value)) as { cpu?: number; behind?: boolean; k?: number };
      return { id: key.slice(2), cpu: Number(v.cpu ?? 0), behind: v.behind === true, k: typeof v.k === "number" ? v.k : undefined };
    } catch {
      return undefined;
    }
  };
  let closed = false;
  let running: Promise<void> | undefined;

  const lose = async (p: number, why: "lost" | "handover" | "close") => {
    held.delete(p);
    try {
      await hooks.release(p, why);
    } catch (e) {
      hooks.log("warn", "collector: cannot release partition cleanly", { partition: p, why, error: (e as Error).message });
    }
  };

  const once = async () => {
    const now = Date.now();
    // Every request of a tick that does not depend on another goes out at once: after a NATS
    // server dies, each can wait for a new stream leader, and one after the other they added up
    // to more than the 10 s takeover budget in tests/nats/failover_test.ts.
    const mine = memberLoad();
    const member = options.standby ? Promise.resolve() : kv.put(memberKey(collectorId), value(mine));
    await Promise.all([...held].map(async ([p, h]) => {
      try {
        held.set(p, { revision: await kv.update(leaseKey(p), value(), h.revision), renewedAt: now });
      } catch (e) {
        // A compare-and-set that fails means the entry expired or another collector holds it now.
        // A renewal that cannot reach the server is retried until the TTL has passed since the
        // last success: after that another collector may have taken the partition.
        const conflict = /wrong last sequence|10071/i.test(String((e as Error).message)) || (e as { api_error?: { err_code?: number } }).api_error?.err_code === 10071;
        if (conflict || now - h.renewedAt >= ttlMs) {
          hooks.log("warn", "collector: lost the lease of a partition", { partition: p, error: (e as Error).message });
          await lose(p, "lost");
        }
      }
    }));
    await member;
    const members = new Set<string>();
    const owners = new Set<number>();
    const info = await jsm.streams.info(stream, { subjects_filter: `${prefix}>` });
    for (const subject of Object.keys(info.state.subjects ?? {})) {
      const k = subject.slice(prefix.length);
      if (k.startsWith("m.")) members.add(k);
      else if (k.startsWith("p.")) owners.add(Number(k.slice(2)));
    }
    let share: number;
    if (options.standby) share = members.size > 0 ? 0 : partitions;
    else if (!pack) share = Math.ceil(partitions / Math.max(1, members.size));
    else {
      members.add(memberKey(collectorId)); // its own entry was just written (a listing cannot miss it; belt and braces)
      const order = [...members].sort();
      const index = order.indexOf(memberKey(collectorId));
      if (index === 0) {
        // The leader decides the active count from the active members' entries (its own load is at hand).
        packState ??= initialPack(now, active);
        const others = await Promise.all(order.slice(1, Math.min(packState.k, order.length)).map(readMember));
        const loads = [{ id: collectorId, cpu: mine!.cpu, behind: mine!.behind }, ...others.filter((x) => x !== undefined)];
        packState = nextPack(packState, loads, order.length, now, packOptions);
        if (packState.k !== active) {
          hooks.log("info", "collector: active lease members changed", { from: active, to: packState.k, members: order.length, loads: loads.map((l) => l.cpu) });
          active = packState.k;
          // Tell the followers now rather than at the next tick: a member that joins the active
          // set takes what this one hands back a tick sooner.
          await kv.put(memberKey(collectorId), value({ ...mine, k: active })).catch(() => {});
        }
      } else {
        // A follower takes the leader's count; a member that leads later starts from it.
        packState = undefined;
        const leader = await readMember(order[0]);
        if (leader?.k !== undefined) active = Math.max(1, Math.min(leader.k, order.length));
      }
      seen = { members: order.length, active, index };
      share = packShare(index, active, partitions);
    }
    if (!pack) seen = { members: members.size, active: members.size, index: options.standby ? -1 : [...members].sort().indexOf(memberKey(collectorId)) };
    if (held.size > share) {
      // A collector joined (or, for a standby, a member is alive): hand back what is above this one's share.
      const extra = [...held.keys()].slice(share);
      for (const p of extra) {
        const h = held.get(p)!;
        await lose(p, "handover");
        await purge(leaseKey(p), h.revision);
      }
      return;
    }
    if (closed) return;
    const free = preferenceOrder(collectorId, partitions).filter((p) => !held.has(p) && !owners.has(p)).slice(0, share - held.size);
    const taken = await Promise.all(free.map((p) => kv.create(leaseKey(p), value()).then((revision) => ({ p, revision }), () => undefined)));
    for (const t of taken) {
      if (!t) continue; // taken by another collector in the meantime
      const { p, revision } = t;
      held.set(p, { revision, renewedAt: now });
      try {
        await hooks.acquire(p);
        hooks.log("info", "collector: took the lease of a partition", { partition: p, members: members.size });
      } catch (e) {
        hooks.log("warn", "collector: cannot start consuming a partition; handing it back", { partition: p, error: (e as Error).message });
        held.delete(p);
        await purge(leaseKey(p), revision);
      }
    }
  };

  const tick = () => {
    if (closed) return Promise.resolve();
    running ??= once()
      .catch((e) => hooks.log("warn", "collector: lease tick failed", { error: (e as Error).message }))
      .finally(() => (running = undefined));
    return running;
  };
  // Every TTL/4, not TTL/8: a tick is one request per held partition plus two per collector, the
  // part of an idle cluster's CPU that lease renewals are (bench/nats_idle.ts, docs/scale-out.md);
  // takeover stays within TTL + TTL/4 (5 s by default) plus NATS's own recovery, and a renewal
  // still has four tries before its lease expires.
  const timer = setInterval(() => void tick(), Math.max(100, Math.floor(ttlMs / 4)));
  (timer as { unref?: () => void }).unref?.();

  return {
    owned: () => [...held.keys()].sort((a, b) => a - b),
    balance: () => seen,
    tick,
    async close() {
      closed = true;
      clearInterval(timer);
      await running;
      for (const [p, h] of [...held]) {
        await lose(p, "close");
        await purge(leaseKey(p), h.revision);
      }
      await purge(memberKey(collectorId));
    },
  };
}
