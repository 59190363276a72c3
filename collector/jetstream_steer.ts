/**
 * @module Ingest steering, the collector's side (docs/scale-out.md, "Seventh pass"): for a batch
 * of an agent whose partition another collector holds, the URL that collector advertises
 * (`store.advertise`, the `url` of its lease entry `p.<n>`), so the ingest answer can name it
 * (header `Edgeprobe-Steer`, telemetry/steer.ts) and the agent's later batches reach the
 * collector that consumes them: one busy process instead of two (a process busy at all costs
 * about 80 ms of CPU a second on the measured VM, docs/scale-out.md "Sixth pass").
 *
 * Holders are looked up when a batch asks, not watched: a lease entry is rewritten every
 * `leaseTtl`/4 by its owner, so a watch would bring every collector partitions × 4 messages a
 * second to keep a map that, once agents follow their hints, nobody reads. A holder looked up is
 * trusted for `leaseTtl` (after that a lease not renewed is gone, and a moved one is seen at the
 * next lookup); a lookup runs in the background, one per partition at a time, so it never delays
 * an answer: the answer carries what is known when it is sent. Bound: at most one lookup per
 * partition per `leaseTtl` (16 partitions, 4 s: 4 requests a second) while batches of partitions
 * held elsewhere keep arriving, none otherwise.
 */
import type { LogFn } from "../common/mod.ts";
import { collectorBase, STEER_HINT_MAX } from "../telemetry/mod.ts";
import { encodeToken, partitionOf } from "./jetstream_keys.ts";

/** Who holds a partition, from its lease entry `{ owner, at, url? }`. */
export interface LeaseHolder {
  readonly owner: string;
  /** The holder's advertised base URL, normalised (telemetry/steer.ts collectorBase), when it has a valid one. */
  readonly url?: string;
}

/** The holder named by a lease entry's JSON; undefined when it is not one. */
export function parseLeaseHolder(text: string): LeaseHolder | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!v || typeof v !== "object" || typeof (v as { owner?: unknown }).owner !== "string") return undefined;
  const { owner, url } = v as { owner: string; url?: unknown };
  const base = typeof url === "string" && url.length <= STEER_HINT_MAX ? collectorBase(url) : undefined;
  return base ? { owner, url: base } : { owner };
}

export interface SteerOptions {
  readonly partitions: number;
  readonly collectorId: string;
  /** This collector's `store.advertise`; without it nothing is steered. */
  readonly advertise?: string;
  /** How long a looked-up holder is trusted: the lease TTL. */
  readonly ttlMs: number;
}

export interface SteerDeps {
  /** Whether this collector holds partition `p` (collector/jetstream_leases.ts). */
  holds(p: number): boolean;
  /** The holder of `p` from its lease entry; undefined when the partition has none. */
  lookup(p: number): Promise<LeaseHolder | undefined>;
  /** Monotonic ms. */
  now(): number;
  readonly log: LogFn;
}

export interface Steer {
  /**
   * The base URL to name in the answer to a batch of `agentId`, or undefined: this collector
   * does not advertise, holds the partition, or knows of no other holder with a URL yet. A
   * holder not known, or known for longer than the TTL, is looked up in the background.
   */
  hint(agentId: string): string | undefined;
}

export function createSteer(o: SteerOptions, d: SteerDeps): Steer {
  const self = o.advertise ? collectorBase(o.advertise) : undefined;
  if (!self) return { hint: () => undefined };
  const known = new Map<number, { holder: LeaseHolder | undefined; at: number }>();
  const pending = new Set<number>();
  let failing = false;

  const refresh = (p: number) => {
    if (pending.has(p)) return;
    pending.add(p);
    d.lookup(p).then(
      (holder) => {
        known.set(p, { holder, at: d.now() });
        if (failing) d.log("info", "collector: steering hints: lease lookups work again", { partition: p });
        failing = false;
      },
      (e) => {
        // No hint for this partition until the next try (after the TTL): an answer never waits.
        known.set(p, { holder: undefined, at: d.now() });
        if (!failing) d.log("warn", "collector: steering hints: cannot read a partition's lease; answers carry no hint for it meanwhile", { partition: p, error: (e as Error).message });
        failing = true;
      },
    ).finally(() => pending.delete(p));
  };

  return {
    hint(agentId) {
      const p = partitionOf(encodeToken(agentId), o.partitions);
      if (d.holds(p)) return undefined;
      const k = known.get(p);
      if (!k || d.now() - k.at >= o.ttlMs) {
        refresh(p);
        return undefined;
      }
      const h = k.holder;
      if (!h?.url || h.owner === o.collectorId || h.url === self) return undefined;
      return h.url;
    },
  };
}
