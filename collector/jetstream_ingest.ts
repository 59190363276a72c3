/**
 * @module The write side of the JetStream store, run by whichever collector an agent sends to
 * (docs/scale-out.md, "Ingest: the compare-and-set ack"):
 * 1. read the shared ack `ack.<agent>.<boot>` (cached with its revision while this collector
 *    writes it);
 * 2. publish the batch's new records on `<prefix>.<partition>.<region>.<agent>` with
 *    `Nats-Msg-Id: <agent>/<boot>/<firstSeq>-<lastSeq>` (JetStream drops a second publish of the
 *    same range inside the stream's duplicate window);
 * 3. advance the ack by compare-and-set on the entry's revision; when another collector moved it
 *    first, read it again and recompute (records it already covers are duplicates).
 * The ack is answered only after the stream acknowledged the publish (stored on a quorum of its
 * replicas) and the compare-and-set succeeded, so every seq at or below a shared ack is in the
 * stream, or in the stream's open hole: a sequence jump is a gap only as far as the agent's
 * spool-drop reports account for it, the rest a hole whose seqs are still taken once when they
 * arrive (collector/seq_admit.ts, the same rule as the SQLite store; docs/security.md).
 */
import { headers } from "@nats-io/transport-node";
import type { JetStreamClient } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import { encodeBatch } from "../telemetry/mod.ts";
import type { Batch, TelemetryRecord } from "../telemetry/mod.ts";
import { ackKey, batchSubject, encodeToken, partitionOf } from "./jetstream_keys.ts";
import { RECEIVED_AT_HEADER } from "./jetstream_owner.ts";
import type { IngestOutcome } from "./store.ts";
import { admitSeqs, type SeqHole, type StreamSeq } from "./seq_admit.ts";

/** Value of `ack.<agent>.<boot>`. */
export interface SharedAck {
  readonly acked: number;
  /** Region token of this boot's subject (learnt from its agent-start record). */
  readonly region: string;
  /** Highest cumulative spool-drop count reported, seqs counted as gaps, and the open hole (seq_admit.ts). */
  readonly drops?: number;
  readonly gaps?: number;
  readonly hole?: SeqHole;
}

const streamOf = (a: SharedAck | undefined): StreamSeq =>
  ({ acked: a?.acked ?? 0, drops: a?.drops ?? 0, gaps: a?.gaps ?? 0, ...(a?.hole ? { hole: a.hole } : {}) });
const sameStream = (a: StreamSeq, b: StreamSeq) =>
  a.acked === b.acked && a.drops === b.drops && a.gaps === b.gaps && a.hole?.from === b.hole?.from && a.hole?.to === b.hole?.to;

export interface IngestOptions {
  readonly stream: string;
  readonly subjectPrefix: string;
  readonly partitions: number;
  readonly regionLabel: string;
  readonly timeout: number;
}

/** A compare-and-set that lost: another writer changed the key since we read it. */
export function isConflict(e: unknown): boolean {
  const err = e as { api_error?: { err_code?: number }; message?: string };
  // JetStream API error 10071 "wrong last sequence" (Nats-Expected-Last-Subject-Sequence failed).
  return err?.api_error?.err_code === 10071 || /wrong last sequence|key exists/i.test(String(err?.message));
}

const enc = new TextEncoder();
const CACHE_MAX = 100_000;

/**
 * Most ms a batch's publish, and then its ack's compare-and-set, waits for others to go out in
 * the same socket write. The NATS client writes once per event-loop turn that queued something
 * (nats-core `sendCommand`), and a collector that is not busy turns once per HTTP request or
 * reply: socket writes were the second largest part of what 3 unsaturated collectors cost more
 * than one (bench/fleet.ts --only jetstream profiles, docs/scale-out.md). An ingest answer
 * waits at most 2 × 10 ms longer; a busy collector loses nothing (its window fills anyway).
 */
const WINDOW_MS = 10;

/** A shared wait of up to `ms`: every caller within it continues in the same turn. */
const windowed = (ms: number) => {
  let next: Promise<void> | undefined;
  return (): Promise<void> =>
    next ??= new Promise<void>((resolve) =>
      setTimeout(() => {
        next = undefined;
        resolve();
      }, ms)
    );
};

/**
 * @param owner told of every batch this collector publishes, before and after (its partition's
 *   owner here, if any, applies it without decoding it again).
 */
export function createIngest(
  js: JetStreamClient,
  kv: KV,
  options: IngestOptions,
  owner: {
    publishing(msgId: string, partition: number, batch: Batch, receivedAt: number): void;
    published(msgId: string, partition: number, streamSeq: number | undefined): void;
  },
): (batch: Batch, receivedAt: number, wire?: Uint8Array) => Promise<IngestOutcome> {
  const acks = new Map<string, { value: SharedAck; revision: number }>();
  const publishWindow = windowed(WINDOW_MS);
  const ackWindow = windowed(WINDOW_MS);
  /** agentId → region token, learnt from agent-start records of batches ingested here. */
  const regions = new Map<string, string>();

  const regionOf = (labels: Readonly<Record<string, string>> | undefined) => {
    const r = labels?.[options.regionLabel];
    return r ? encodeToken(r) : "_";
  };

  const readAck = async (key: string) => {
    const e = await kv.get(key);
    if (!e || e.operation !== "PUT") return undefined;
    return { value: JSON.parse(e.string()) as SharedAck, revision: e.revision };
  };

  const publish = async (batch: Batch, fresh: readonly TelemetryRecord[], whole: boolean, wire: Uint8Array | undefined, region: string, receivedAt: number, partition: number) => {
    const first = fresh[0].seq, last = fresh[fresh.length - 1].seq;
    const h = headers();
    h.set(RECEIVED_AT_HEADER, String(receivedAt));
    const body = whole && wire ? wire : encodeBatch({ agentId: batch.agentId, bootId: batch.bootId, records: fresh });
    // Includes the last seq: a retry that carries more records than the first attempt is a
    // different message, so the records beyond the first attempt are never dropped as duplicates.
    const msgID = `${batch.agentId}/${batch.bootId}/${first}-${last}`;
    owner.publishing(msgID, partition, whole ? batch : { agentId: batch.agentId, bootId: batch.bootId, records: fresh }, receivedAt);
    let seq: number | undefined;
    try {
      await publishWindow();
      const pa = await js.publish(batchSubject(options.subjectPrefix, options.partitions, region, batch.agentId), body, { msgID, headers: h, timeout: options.timeout });
      if (!pa.duplicate) seq = pa.seq;
      return pa;
    } finally {
      owner.published(msgID, partition, seq);
    }
  };

  return async (batch, receivedAt, wire) => {
    const { agentId, bootId } = batch;
    const key = ackKey(agentId, bootId);
    const partition = partitionOf(encodeToken(agentId), options.partitions);
    let published_: { first: number; last: number } | undefined;
    let duplicatesSeen = 0;
    for (let attempt = 0; attempt < 8; attempt++) {
      let cur = attempt === 0 ? acks.get(key) : undefined;
      if (!cur) cur = await readAck(key);
      const stream = streamOf(cur?.value);
      const admitted = admitSeqs(batch.records, stream);
      const { fresh, duplicates, gap } = admitted;
      if (fresh.length === 0) {
        if (cur && !sameStream(stream, admitted.next)) {
          // Only the stream's bookkeeping moved (a spool-drop report settled part of the hole).
          const value: SharedAck = { ...cur.value, ...admitted.next };
          try {
            const revision = await kv.update(key, enc.encode(JSON.stringify(value)), cur.revision);
            acks.set(key, { value, revision });
          } catch (e) {
            acks.delete(key);
            if (isConflict(e)) continue;
            throw new Error(`Cannot advance the shared ack of ${agentId}/${bootId}: ${(e as Error).message}`, { cause: e });
          }
        } else if (cur) acks.set(key, cur);
        return { agentId, bootId, ack: admitted.ack, stored: 0, duplicates, gap };
      }
      const start = batch.records.find((r) => r.type === "agent-start");
      const region = cur?.value.region ?? (start && start.type === "agent-start" ? regionOf(start.labels) : regions.get(agentId) ?? "_");
      if (start && start.type === "agent-start") regions.set(agentId, region);
      if (regions.size > CACHE_MAX) regions.clear();
      const first = fresh[0].seq, last = fresh[fresh.length - 1].seq;
      if (!published_ || published_.first !== first || published_.last !== last) {
        try {
          await publish(batch, fresh, duplicates === 0, wire, region, receivedAt, partition);
        } catch (e) {
          throw new Error(`Cannot publish telemetry batch of ${agentId}/${bootId} to stream ${options.stream}: ${(e as Error).message}`, { cause: e });
        }
        published_ = { first, last };
      }
      const n = admitted.next;
      const value: SharedAck = { acked: n.acked, region, drops: n.drops, gaps: n.gaps, ...(n.hole ? { hole: n.hole } : {}) };
      try {
        const data = enc.encode(JSON.stringify(value));
        await ackWindow();
        const revision = cur ? await kv.update(key, data, cur.revision) : await kv.create(key, data);
        // One entry per boot ever seen: drop the cache wholesale when it gets big (a miss costs one read).
        if (acks.size > CACHE_MAX) acks.clear();
        acks.set(key, { value, revision });
      } catch (e) {
        acks.delete(key);
        if (isConflict(e)) {
          duplicatesSeen = duplicates;
          continue; // another collector moved the ack: read it again
        }
        throw new Error(`Cannot advance the shared ack of ${agentId}/${bootId}: ${(e as Error).message}`, { cause: e });
      }
      return { agentId, bootId, ack: admitted.ack, stored: fresh.length, duplicates, gap };
    }
    throw new Error(`Cannot advance the shared ack of ${agentId}/${bootId}: compare-and-set kept failing (last duplicates ${duplicatesSeen})`);
  };
}
