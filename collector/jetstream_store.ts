/**
 * @module The collector's Store on NATS JetStream, so several collectors share one fleet
 * (docs/scale-out.md).
 *
 * Write side (any collector, for any agent):
 * 1. read the stream's shared ack from the key-value bucket (`ack.<agent>.<boot>`);
 * 2. publish the batch's new records to the stream on `<prefix>.<region>.<agent>` with
 *    `Nats-Msg-Id: <agent>/<boot>/<firstSeq>-<lastSeq>` (JetStream drops a second publish of the
 *    same range inside the stream's duplicate window);
 * 3. advance the ack with compare-and-set on the entry's revision; when another collector moved
 *    it first, read it again and recompute (records it already covers are duplicates);
 * 4. CAS-update the latest state of each probe of the batch (`state.<agent>.<probe>`), coalesced
 *    over `stateEvery` (one write per probe per interval instead of one per result).
 * An ack is answered only after the publish was acknowledged by the stream (stored on a quorum
 * of its replicas) and the CAS succeeded, so every seq at or below a shared ack is in the stream.
 *
 * Read side (every collector): an ordered consumer reads the whole stream, in stream order, into
 * a local SQLite read model (collector/sqlite_store.ts), which is itself idempotent on
 * (agentId, bootId, seq). Every collector therefore applies the same records in the same order and
 * serves the same fleet API, SSE and /metrics; a range published twice (a retry through another
 * collector after the duplicate window) is counted once.
 */
import { connect, headers, nanos, type NatsConnection } from "@nats-io/transport-node";
import { DiscardPolicy, jetstream, type JetStreamClient, type JetStreamManager, jetstreamManager, RetentionPolicy, StorageType } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import type { LogFn } from "../common/log.ts";
import { openDatabase } from "../runtime/sqlite.ts";
import { decodeBatch, encodeBatch } from "../telemetry/codec.ts";
import type { Batch, TelemetryRecord } from "../telemetry/record.ts";
import type { Facts } from "../telemetry/record.ts";
import type { JetstreamStoreConfig } from "./config.ts";
import { openSqliteStore } from "./sqlite_store.ts";
import { type IngestOutcome, newRecords, type Store } from "./store.ts";

export interface JetstreamStoreOptions extends Omit<JetstreamStoreConfig, "kind"> {
  /** Stream max_age: how long batches stay in the stream (the collector's retention.raw). */
  readonly maxAge: number;
}

export interface JetstreamStoreDeps {
  readonly log: LogFn;
}

/** The store plus what tests and /metrics may want to see. */
export interface JetstreamStore extends Store {
  /** Highest stream sequence applied to this collector's read model. */
  applied(): number;
}

/** Header carrying the ingesting collector's receive time, so every read model records the same lastSeen. */
export const RECEIVED_AT_HEADER = "Edgeprobe-Received-At";

/**
 * One subject token or key-value key token from any string: letters, digits, `-` and `_` stay;
 * every other UTF-8 byte becomes `=XX`. NATS subjects split on `.` and reserve `*`/`>`; KV keys
 * allow only `[-/_=.a-zA-Z0-9]` (ADR-8), so `=` is safe in both.
 */
export function encodeToken(s: string): string {
  if (s === "") return "=";
  if (/^[A-Za-z0-9_-]+$/.test(s)) return s;
  let out = "";
  for (const b of new TextEncoder().encode(s)) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9_-]/.test(c) ? c : "=" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

export const ackKey = (agentId: string, bootId: string) => `ack.${encodeToken(agentId)}.${encodeToken(bootId)}`;
export const stateKey = (agentId: string, probe: string) => `state.${encodeToken(agentId)}.${encodeToken(probe)}`;

/** Value of `ack.<agent>.<boot>`. */
export interface SharedAck {
  readonly acked: number;
  /** Region token of this boot's subject (learnt from its agent-start record). */
  readonly region: string;
}

/** Value of `state.<agent>.<probe>`: the newest result and health state of one probe. */
export interface SharedProbeState {
  readonly bootId: string;
  readonly seq: number;
  readonly at: number;
  readonly kind?: string;
  readonly ok?: boolean;
  readonly latencyMs?: number;
  readonly failure?: { readonly kind: string; readonly message?: string; readonly reason?: string };
  readonly facts?: Facts;
  readonly state?: string;
  readonly stateSince?: number;
}

const enc = new TextEncoder();

/** A compare-and-set that lost: another writer changed the key since we read it. */
function isConflict(e: unknown): boolean {
  const err = e as { code?: number; api_error?: { err_code?: number }; message?: string };
  // JetStream API error 10071 "wrong last sequence" (Nats-Expected-Last-Subject-Sequence failed).
  return err?.api_error?.err_code === 10071 || /wrong last sequence|key exists/i.test(String(err?.message));
}

const CACHE_MAX = 100_000;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Connect to the NATS cluster, create the stream and the bucket when missing, and catch the local
 * read model up with the stream before returning.
 * @throws {Error} "Cannot connect to NATS …", "Cannot create JetStream stream …"
 */
export async function openJetstreamStore(options: JetstreamStoreOptions, deps: JetstreamStoreDeps): Promise<JetstreamStore> {
  const { log } = deps;
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: [...options.servers],
      name: "edgeprobe-collector",
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      timeout: options.timeout,
      ...(options.auth && "token" in options.auth ? { token: options.auth.token } : {}),
      ...(options.auth && "user" in options.auth ? { user: options.auth.user, pass: options.auth.pass } : {}),
    });
  } catch (e) {
    throw new Error(`Cannot connect to NATS ${options.servers.join(",")}: ${(e as Error).message}`, { cause: e });
  }
  (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect" || s.type === "reconnect") log("warn", `collector: NATS ${s.type}`, { server: (s as { server?: string }).server });
    }
  })().catch(() => {});

  const js: JetStreamClient = jetstream(nc, { timeout: options.timeout });
  let kv: KV | undefined;
  let jsm: JetStreamManager | undefined;
  // A cluster that is starting (or electing its meta leader) answers "jetstream is not enabled"
  // or times out for a few seconds: retry the set-up for up to ~30 s before giving up.
  for (let attempt = 1; !kv; attempt++) {
    try {
      jsm = await jetstreamManager(nc, { timeout: options.timeout });
      const exists = await jsm.streams.info(options.stream).then(() => true, () => false);
      if (!exists) {
        const config = {
          name: options.stream,
          subjects: [`${options.subjectPrefix}.>`],
          retention: RetentionPolicy.Limits,
          storage: StorageType.File,
          num_replicas: options.replicas,
          max_age: nanos(options.maxAge),
          // The window in which a republished range (same Nats-Msg-Id) is dropped by the server.
          duplicate_window: nanos(Math.min(120_000, options.maxAge)),
          discard: DiscardPolicy.Old,
        };
        try {
          await jsm.streams.add(config);
          log("info", "collector: created JetStream stream", { stream: options.stream, replicas: options.replicas });
        } catch (e) {
          // Two collectors starting together: the other one may have created it first.
          if (!(await jsm.streams.info(options.stream).then(() => true, () => false))) throw e;
        }
      }
      const kvm = new Kvm(js);
      kv = await kvm.create(options.bucket, { replicas: options.replicas, history: 1 }).catch(() => kvm.open(options.bucket));
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
  const bucket: KV = kv;
  const manager: JetStreamManager = jsm!;

  const readModel = await openSqliteStore({ path: options.readModel, raw: options.raw, synchronous: "normal" });
  // Resume point of a file read model (a second connection to the same WAL database). Written
  // after the read model committed, so a crash replays a little, which the read model ignores.
  const posDb = options.readModel === ":memory:" ? undefined : await openDatabase(options.readModel);
  posDb?.exec("CREATE TABLE IF NOT EXISTS jetstream_position (stream TEXT PRIMARY KEY, seq INTEGER NOT NULL)");
  const posGet = posDb?.prepare("SELECT seq FROM jetstream_position WHERE stream = ?");
  const posPut = posDb?.prepare("INSERT INTO jetstream_position (stream, seq) VALUES (?, ?) ON CONFLICT (stream) DO UPDATE SET seq = excluded.seq");
  const resumeFrom = Number(posGet?.get(options.stream)?.seq ?? 0);

  const acks = new Map<string, { value: SharedAck; revision: number }>();
  const states = new Map<string, { value: SharedProbeState; revision: number }>();
  /** agentId → region token, learnt from agent-start records seen in the stream. */
  const regions = new Map<string, string>();
  let applied = resumeFrom;
  let savedPos = resumeFrom;
  const waiters: { seq: number; resolve: () => void }[] = [];
  let closed = false;

  const advance = (seq: number) => {
    if (seq <= applied) return;
    applied = seq;
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i].seq <= applied) {
        waiters[i].resolve();
        waiters.splice(i, 1);
      }
    }
  };
  /** Wait until the local read model holds stream sequence `seq` (read-your-writes for the ingesting collector). */
  const waitApplied = (seq: number, ms: number): Promise<void> => {
    if (applied >= seq) return Promise.resolve();
    return new Promise((resolve) => {
      const w = { seq, resolve: () => (clearTimeout(t), resolve()) };
      const t = setTimeout(() => {
        const i = waiters.indexOf(w);
        if (i >= 0) waiters.splice(i, 1);
        resolve();
      }, ms);
      waiters.push(w);
    });
  };

  const regionOf = (labels: Readonly<Record<string, string>> | undefined) => {
    const r = labels?.[options.regionLabel];
    return r ? encodeToken(r) : "_";
  };

  // ---- read side: the stream, in order, into the read model ----
  const consume = async () => {
    let attempt = 0;
    while (!closed) {
      try {
        const consumer = await js.consumers.get(options.stream, applied > 0 ? { opt_start_seq: applied + 1 } : {});
        // Short pulls: the client notices a consumer lost with a server after two missed idle
        // heartbeats (expires/2 each), 5 s here instead of the default 30 s.
        const messages = await consumer.consume({ max_messages: 1000, expires: 5000 });
        current = messages;
        let inFlight = 0;
        for await (const m of messages) {
          attempt = 0;
          const streamSeq = m.info.streamSequence;
          let batch: Batch;
          try {
            // A batch this collector published itself was decoded and validated at ingest.
            batch = ownBatches.get(streamSeq) ?? decodeBatch(m.data);
            ownBatches.delete(streamSeq);
          } catch (e) {
            log("warn", "collector: skipping a stream message that does not decode", { streamSeq, subject: m.subject, error: (e as Error).message });
            advance(streamSeq);
            continue;
          }
          for (const r of batch.records) if (r.type === "agent-start") regions.set(batch.agentId, regionOf(r.labels));
          const receivedAt = Number(m.headers?.get(RECEIVED_AT_HEADER) ?? "") || m.info.timestampNanos / 1e6;
          inFlight++;
          // Not awaited one by one: the read model commits everything queued in one transaction.
          readModel.ingest(batch, receivedAt, m.data).then(
            () => advance(streamSeq),
            (e) => {
              log("error", "collector: read model cannot apply a batch", { streamSeq, error: (e as Error).message });
              advance(streamSeq);
            },
          ).finally(() => inFlight--);
          if (inFlight >= 512) { while (inFlight >= 256) await sleep(1); }
        }
        if (!closed) await sleep(100); // stopped by the watchdog: start again from `applied`
      } catch (e) {
        if (closed) break;
        log("warn", "collector: stream consumer stopped; restarting", { applied, error: (e as Error).message });
        await sleep(Math.min(5000, 200 * 2 ** Math.min(attempt++, 5)));
      }
    }
  };
  let current: { stop(): void } | undefined;
  /** Batches this collector published, by stream sequence, until its consumer reaches them. */
  const ownBatches = new Map<number, Batch>();
  /** Highest stream sequence known to exist (our own publish acks, the stream's info). */
  let knownLast = 0;
  const consuming = consume();
  // Watchdog: after a server loss the ordered consumer can sit on a dead pull without an error;
  // when the stream is known to hold more than the read model and nothing moved for 3 s, start over.
  let progress = { applied, at: Date.now() };
  let checking = false;
  const watchdog = setInterval(async () => {
    if (checking || closed) return;
    if (applied !== progress.applied) {
      progress = { applied, at: Date.now() };
      for (const k of ownBatches.keys()) if (k <= applied) ownBatches.delete(k);
      return;
    }
    checking = true;
    try {
      if (knownLast <= applied) knownLast = Math.max(knownLast, (await manager.streams.info(options.stream)).state.last_seq);
      if (knownLast > applied && Date.now() - progress.at > 3000) {
        log("warn", "collector: stream consumer stalled; restarting it", { applied, streamLast: knownLast });
        progress = { applied, at: Date.now() };
        current?.stop();
      }
    } catch {
      // JetStream unavailable (an election): try again at the next tick
    } finally {
      checking = false;
    }
  }, 1000);
  (watchdog as { unref?: () => void }).unref?.();
  const posTimer = setInterval(() => {
    if (posPut && applied > savedPos) {
      posPut.run(options.stream, applied);
      savedPos = applied;
    }
  }, 1000);
  (posTimer as { unref?: () => void }).unref?.();

  // Catch up before serving, so a collector that starts late answers the whole fleet.
  try {
    const info = await manager.streams.info(options.stream);
    const last = info.state.last_seq;
    const started = Date.now();
    while (applied < last && Date.now() - started < 120_000) await waitApplied(last, 1000);
    log("info", "collector: read model caught up with the stream", { stream: options.stream, applied, last, ms: Date.now() - started });
  } catch (e) {
    log("warn", "collector: cannot read the stream's state; serving while catching up", { error: (e as Error).message });
  }

  // ---- write side ----
  const readAck = async (key: string) => {
    const e = await bucket.get(key);
    if (!e || e.operation !== "PUT") return undefined;
    return { value: JSON.parse(e.string()) as SharedAck, revision: e.revision };
  };

  const publish = (batch: Batch, fresh: readonly TelemetryRecord[], whole: boolean, wire: Uint8Array | undefined, region: string, receivedAt: number) => {
    const first = fresh[0].seq, last = fresh[fresh.length - 1].seq;
    const h = headers();
    h.set(RECEIVED_AT_HEADER, String(receivedAt));
    const body = whole && wire ? wire : encodeBatch({ agentId: batch.agentId, bootId: batch.bootId, records: fresh });
    return js.publish(`${options.subjectPrefix}.${region}.${encodeToken(batch.agentId)}`, body, {
      // Includes the last seq: a retry that carries more records than the first attempt is a
      // different message, so the records beyond the first attempt are never dropped as duplicates.
      msgID: `${batch.agentId}/${batch.bootId}/${first}-${last}`,
      headers: h,
      timeout: options.timeout,
    });
  };

  type Mutable<T> = { -readonly [K in keyof T]: T[K] };
  type StateUpdate = Mutable<Partial<SharedProbeState>> & { bootId: string; seq: number; at: number };
  /** Same boot: seq orders; across boots, the agent clock does. */
  const newer = (a: StateUpdate, b: SharedProbeState | StateUpdate) => (a.bootId === b.bootId ? a.seq > b.seq : a.at >= b.at);
  /** A probe result replaces the previous result (and its failure); a state record only the state. */
  const merge = <T extends object>(prev: T | undefined, upd: StateUpdate): SharedProbeState =>
    ({ ...(prev ?? {}), ...(upd.ok === undefined ? {} : { failure: undefined }), ...upd }) as SharedProbeState;
  /** Latest update per state key not yet written (coalesced over `stateEvery`). */
  const pendingStates = new Map<string, StateUpdate>();

  const collectStates = (batch: Batch, fresh: readonly TelemetryRecord[]) => {
    for (const r of fresh) {
      if (r.type !== "probe" && r.type !== "state") continue;
      const upd: StateUpdate = r.type === "probe"
        ? {
          bootId: batch.bootId,
          seq: r.seq,
          at: r.at,
          kind: r.kind,
          ok: r.ok,
          latencyMs: r.latencyUs / 1000,
          ...(r.failure ? { failure: r.failure } : {}),
          ...(r.facts ? { facts: r.facts } : {}),
        }
        : { bootId: batch.bootId, seq: r.seq, at: r.at, state: r.to, stateSince: r.at };
      const key = stateKey(batch.agentId, r.probe);
      const p = pendingStates.get(key);
      if (!p) pendingStates.set(key, upd);
      else if (newer(upd, p)) pendingStates.set(key, merge(p, upd) as StateUpdate);
    }
  };

  /** CAS-merge one probe's update into `state.<agent>.<probe>`; an older update never overwrites a newer one. */
  const writeState = async (key: string, upd: StateUpdate) => {
    for (let attempt = 0; attempt < 5; attempt++) {
      let cur = states.get(key);
      if (!cur && attempt === 0) {
        // Most keys this collector has not written yet are new: try to create before reading.
        const value = merge(undefined, upd);
        try {
          states.set(key, { value, revision: await bucket.create(key, enc.encode(JSON.stringify(value))) });
          return;
        } catch (e) {
          if (!isConflict(e)) throw e;
        }
      }
      if (!cur) {
        const e = await bucket.get(key);
        cur = e && e.operation === "PUT" ? { value: JSON.parse(e.string()) as SharedProbeState, revision: e.revision } : undefined;
      }
      if (cur && !newer(upd, cur.value)) return;
      const value = merge(cur?.value, upd);
      const data = enc.encode(JSON.stringify(value));
      try {
        const revision = cur ? await bucket.update(key, data, cur.revision) : await bucket.create(key, data);
        states.set(key, { value, revision });
        return;
      } catch (e) {
        states.delete(key);
        if (!isConflict(e)) throw e;
      }
    }
  };

  let flushing: Promise<void> | undefined;
  const flushStates = (): Promise<void> => {
    if (flushing) return flushing;
    flushing = (async () => {
      const items = [...pendingStates];
      pendingStates.clear();
      for (let i = 0; i < items.length; i += 256) {
        const rs = await Promise.allSettled(items.slice(i, i + 256).map(([k, u]) => writeState(k, u)));
        const failed = rs.filter((r) => r.status === "rejected");
        if (failed.length > 0) {
          // The stream and every read model already hold these results; the bucket catches up with the next ones.
          log("warn", "collector: cannot update the shared probe state", {
            keys: failed.length,
            error: String((failed[0] as PromiseRejectedResult).reason?.message),
          });
        }
      }
    })().finally(() => (flushing = undefined));
    return flushing;
  };
  const stateTimer = options.stateEvery > 0 ? setInterval(() => void flushStates(), options.stateEvery) : undefined;
  (stateTimer as { unref?: () => void } | undefined)?.unref?.();

  const ingest = async (batch: Batch, receivedAt: number, wire?: Uint8Array): Promise<IngestOutcome> => {
    if (closed) throw new Error("Cannot store telemetry batch: the store is closed");
    const { agentId, bootId } = batch;
    const key = ackKey(agentId, bootId);
    let published: { first: number; last: number; streamSeq: number } | undefined;
    let duplicatesSeen = 0;
    for (let attempt = 0; attempt < 8; attempt++) {
      let cur = attempt === 0 ? acks.get(key) : undefined;
      if (!cur) cur = await readAck(key);
      const acked = cur?.value.acked ?? 0;
      const { fresh, duplicates, gap } = newRecords(batch.records, acked);
      if (fresh.length === 0) {
        if (cur) acks.set(key, cur);
        if (published) await waitApplied(published.streamSeq, 2000);
        return { agentId, bootId, ack: acked, stored: 0, duplicates, gap: 0 };
      }
      const start = batch.records.find((r) => r.type === "agent-start");
      const region = cur?.value.region ?? (start && start.type === "agent-start" ? regionOf(start.labels) : regions.get(agentId) ?? "_");
      const first = fresh[0].seq, last = fresh[fresh.length - 1].seq;
      if (!published || published.first !== first || published.last !== last) {
        let pa;
        try {
          pa = await publish(batch, fresh, duplicates === 0, wire, region, receivedAt);
        } catch (e) {
          throw new Error(`Cannot publish telemetry batch of ${agentId}/${bootId} to stream ${options.stream}: ${(e as Error).message}`, { cause: e });
        }
        published = { first, last, streamSeq: pa.seq };
        if (!pa.duplicate && pa.seq > applied) ownBatches.set(pa.seq, duplicates === 0 ? batch : { agentId, bootId, records: fresh });
        if (pa.seq > knownLast) knownLast = pa.seq;
      }
      const value: SharedAck = { acked: last, region };
      try {
        const data = enc.encode(JSON.stringify(value));
        const revision = cur ? await bucket.update(key, data, cur.revision) : await bucket.create(key, data);
        // One entry per boot and per probe ever seen: drop the caches wholesale when they get big
        // (a miss costs one key-value read).
        if (acks.size > CACHE_MAX) acks.clear();
        if (states.size > CACHE_MAX) states.clear();
        acks.set(key, { value, revision });
      } catch (e) {
        acks.delete(key);
        if (isConflict(e)) {
          duplicatesSeen = duplicates;
          continue; // another collector moved the ack: read it again
        }
        throw new Error(`Cannot advance the shared ack of ${agentId}/${bootId}: ${(e as Error).message}`, { cause: e });
      }
      collectStates(batch, fresh);
      if (!stateTimer) await flushStates();
      await waitApplied(published.streamSeq, 2000);
      return { agentId, bootId, ack: last, stored: fresh.length, duplicates, gap };
    }
    throw new Error(`Cannot advance the shared ack of ${agentId}/${bootId}: compare-and-set kept failing (last duplicates ${duplicatesSeen})`);
  };

  const store: JetstreamStore = {
    ingest,
    fleet: (now) => readModel.fleet(now),
    node: (id, now) => readModel.node(id, now),
    history: (node, probe, w, step) => readModel.history(node, probe, w, step),
    latency: (probe, w, nodes) => readModel.latency(probe, w, nodes),
    probes: () => readModel.probes(),
    stats: () => readModel.stats(),
    // The stream expires raw batches itself (max_age); the read model prunes its own tables.
    prune: (rawBefore, minutesBefore) => readModel.prune(rawBefore, minutesBefore),
    subscribe: (l) => readModel.subscribe(l),
    applied: () => applied,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(posTimer);
      if (stateTimer) clearInterval(stateTimer);
      await flushStates();
      clearInterval(watchdog);
      current?.stop();
      await nc.drain().catch(() => nc.close());
      await consuming.catch(() => {});
      for (const w of waiters.splice(0)) w.resolve();
      if (posPut && applied > savedPos) posPut.run(options.stream, applied);
      posDb?.close();
      await readModel.close();
    },
  };
  return store;
}
