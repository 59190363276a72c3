/**
 * @module Connect to NATS and make sure the telemetry stream and the two key-value buckets exist
 * (docs/scale-out.md, "Start-up"): the shared bucket (`ack.*`, `node.*`, entries expire after
 * `keyTtl`) and the lease bucket (`m.*`, `p.*`, entries expire after `leaseTtl`).
 */
import { nanos, type NatsConnection } from "@nats-io/transport-node";
import { DiscardPolicy, jetstream, type JetStreamClient, type JetStreamManager, jetstreamManager, RetentionPolicy, StorageType } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import type { LogFn } from "../common/mod.ts";
import { sleep } from "../common/abortable.ts";
import { connectNats } from "./nats_connect.ts";
import type { JetstreamStoreConfig } from "./config.ts";

export interface SetupOptions extends Omit<JetstreamStoreConfig, "kind" | "consume" | "balance" | "pack"> {
  /** Stream max_age: how long batches stay in the stream (the collector's retention.raw). */
  readonly maxAge: number;
  /** Lifetime of `ack.*` and `node.*` entries not rewritten (the collector's retention.history when the config is silent). */
  readonly keyTtl: number;
}

export interface NatsParts {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** `ack.*`, `node.*`. */
  readonly kv: KV;
  /** `m.*`, `p.*`. */
  readonly leases: KV;
}

/** @throws {Error} "Cannot connect to NATS …", "Cannot create JetStream stream …" */
export async function setupNats(options: SetupOptions, log: LogFn): Promise<NatsParts> {
  const nc = await connectNats({ ...options, name: "edgeprobe-collector" });
  (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect" || s.type === "reconnect") log("warn", `collector: NATS ${s.type}`, { server: (s as { server?: string }).server });
    }
  })().catch(() => {});

  const js = jetstream(nc, { timeout: options.timeout });
  // A cluster that is starting (or electing its meta leader) answers "jetstream is not enabled"
  // or times out for a few seconds: retry the set-up (about 15 s of pauses) before giving up.
  for (let attempt = 1;; attempt++) {
    try {
      const jsm = await jetstreamManager(nc, { timeout: options.timeout });
      const exists = await jsm.streams.info(options.stream).then(() => true, () => false);
      if (!exists) {
        try {
          await jsm.streams.add({
            name: options.stream,
            subjects: [`${options.subjectPrefix}.>`],
            retention: RetentionPolicy.Limits,
            storage: StorageType.File,
            num_replicas: options.replicas,
            max_age: nanos(options.maxAge),
            // The window in which a republished range (same Nats-Msg-Id) is dropped by the server.
            duplicate_window: nanos(Math.min(120_000, options.maxAge)),
            discard: DiscardPolicy.Old,
          });
          log("info", "collector: created JetStream stream", { stream: options.stream, replicas: options.replicas });
        } catch (e) {
          // Two collectors starting together: the other one may have created it first.
          if (!(await jsm.streams.info(options.stream).then(() => true, () => false))) throw e;
        }
      }
      const kvm = new Kvm(js);
      const kv = await openBucket(kvm, jsm, options.bucket, options.replicas, options.keyTtl, log);
      // Lease requests give up after at most 1 s: during a NATS leader election a request goes
      // unanswered, and a tick whose steps each waited `timeout` (3-5 s) pushed the takeover past
      // 10 s in tests/nats/failover_test.ts. The next tick retries a TTL/4 later.
      const leaseKvm = new Kvm(jetstream(nc, { timeout: Math.min(options.timeout, 1000) }));
      const leases = await openBucket(leaseKvm, jsm, `${options.bucket}_leases`, options.replicas, options.leaseTtl, log, Math.min(options.timeout, 1000));
      return { nc, js, jsm, kv, leases };
    } catch (e) {
      if (attempt < 10) {
        log("warn", "collector: JetStream not ready; retrying", { attempt, error: (e as Error).message });
        await sleep(1000 * attempt / 3);
        continue;
      }
      await nc.close().catch(() => {});
      throw new Error(`Cannot create JetStream stream ${options.stream} or bucket ${options.bucket}: ${(e as Error).message}`, { cause: e });
    }
  }
}

/** Open (creating) a bucket whose entries live `ttl` ms; an existing bucket with another TTL gets this one. */
async function openBucket(kvm: Kvm, jsm: JetStreamManager, name: string, replicas: number, ttl: number, log: LogFn, timeout?: number): Promise<KV> {
  const t = timeout ? { timeout } : {};
  const kv = await kvm.create(name, { replicas, history: 1, ttl, ...t }).catch(() => kvm.open(name, t));
  const info = await jsm.streams.info(`KV_${name}`);
  if (info.config.max_age !== nanos(ttl)) {
    await jsm.streams.update(`KV_${name}`, { ...info.config, max_age: nanos(ttl), duplicate_window: nanos(Math.min(ttl, 120_000)) });
    log("info", "collector: set the lifetime of a bucket's entries", { bucket: name, ttlMs: ttl });
  }
  return kv;
}
