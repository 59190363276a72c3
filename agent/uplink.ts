/**
 * @module The telemetry uplink: AgentEvents → spool → CBOR batches → collector, resent until acked.
 *
 * `emit()` encodes the event and appends it to the on-disk spool synchronously (a few µs; it
 * never waits on the network). One sender loop reads batches from the spool head, POSTs them to
 * `<collector>/api/v1/ingest` over one keep-alive connection, and releases them when the
 * collector acknowledges `(bootId, seq)`. On any failure it retries the same head (so it resends
 * from the last ack) after an exponential backoff with jitter. One batch is in flight at a time,
 * so records arrive in seq order.
 */
import type { AgentEvent, EventSink } from "./events.ts";
import type { Clock } from "../runtime/types.ts";
import type { LogFn } from "../common/log.ts";
import { decodeRecord, encodeBatch, encodeRecord } from "../telemetry/codec.ts";
import { recordFromEvent } from "./record_from_event.ts";
import type { RecordBody, TelemetryRecord } from "../telemetry/record.ts";
import type { TelemetryConfig } from "../telemetry/telemetry_config.ts";
import { openSpool, type SpoolStats } from "./spool.ts";
import { type FetchFn, tlsFetch } from "../runtime/tls_fetch.ts";
import { h2Fetch } from "../runtime/h2_fetch.ts";
import { parseRetryAfter, retryDelay } from "../common/retry_after.ts";

export interface UplinkDeps {
  readonly agentId: string;
  readonly labels: Readonly<Record<string, string>>;
  /** One process run; default a random UUID. Must differ from every earlier boot using this spool. */
  readonly bootId?: string;
  readonly clock: Clock;
  readonly log: LogFn;
  /** Stops the sender loop (the agent's shutdown signal). */
  readonly signal: AbortSignal;
  /** Test seam; default the platform fetch (with `telemetry.tls` applied). */
  readonly fetch?: FetchFn;
  /** Test seam for jitter; default Math.random. */
  readonly random?: () => number;
}

export type UplinkState = "idle" | "connected" | "backoff" | "closed";

export interface UplinkStats {
  readonly state: UplinkState;
  /** Ingest URL in use (changes on failover). */
  readonly collector: string;
  readonly bootId: string;
  readonly spool: SpoolStats;
  /** The collector's last acknowledgement. */
  readonly lastAck?: { readonly bootId: string; readonly seq: number };
  readonly sentBatches: number;
  readonly sentRecords: number;
  readonly failedSends: number;
  /** Events that could not be spooled (encode or disk error): logged and counted, never thrown. */
  readonly lostEvents: number;
  readonly lastError?: string;
  /** Current backoff delay in ms while state is "backoff". */
  readonly backoffMs: number;
}

export interface Uplink extends EventSink {
  stats(): UplinkStats;
  /** Stop sending, try a last flush of pending records within `signal`, close the spool. */
  close(signal: AbortSignal): Promise<void>;
}

/** The collector's answer to an ingest POST. */
export interface IngestAck {
  readonly agentId: string;
  readonly bootId: string;
  /** Highest seq of (agentId, bootId) the collector holds with nothing missing below it. */
  readonly ack: number;
}

function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clock.clearTimeout(h);
      reject(signal.reason);
    };
    const h = clock.setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Exponential backoff with "equal jitter": half fixed, half random, capped. */
export function backoffDelay(attempt: number, initial: number, max: number, random: () => number): number {
  const d = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return Math.round(d / 2 + random() * (d / 2));
}

/**
 * Open the spool and start the sender loop.
 * @throws {Error} "Cannot open spool: …" when the spool directory is unusable.
 * @example
 * const uplink = await createUplink(config.telemetry, { agentId, labels, clock: systemClock, log, signal });
 * scheduler.sinks.push(uplink);
 */
export function createUplink(config: TelemetryConfig, deps: UplinkDeps): Promise<Uplink> {
  const { clock, log } = deps;
  const random = deps.random ?? Math.random;
  const bootId = deps.bootId ?? crypto.randomUUID().replaceAll("-", "");
  const urls = [config.collector, ...(config.failover ?? [])].map((c) => new URL("api/v1/ingest", c.endsWith("/") ? c : c + "/").toString());
  let current = 0;
  let url = urls[0];
  // One lazily opened HTTP/2 session per collector of the list.
  const h2s = !deps.fetch && config.transport === "h2" ? urls.map((u) => h2Fetch(new URL(u).origin, config.tls)) : undefined;
  const plainFetch = deps.fetch ?? tlsFetch(config.tls);
  const doFetch: FetchFn = (input, init) => (h2s ? h2s[current](input, init) : plainFetch(input, init));
  let maxRecords = config.batch.maxRecords;

  let state: UplinkState = "idle";
  let lastAck: { bootId: string; seq: number } | undefined;
  let sentBatches = 0;
  let sentRecords = 0;
  let failedSends = 0;
  let lostEvents = 0;
  let lastError: string | undefined;
  let backoffMs = 0;
  let fullWaiter: (() => void) | undefined;

  const append = (body: RecordBody) => {
    try {
      spool.append(encodeRecord(body));
    } catch (e) {
      lostEvents++;
      log("error", "uplink: cannot spool a telemetry record", { error: String(e), type: body.type });
      return;
    }
    if (fullWaiter && spool.stats().records >= maxRecords) fullWaiter();
  };

  const spool = openSpool({
    dir: config.spool.dir,
    maxBytes: config.spool.maxBytes,
    segmentBytes: config.spool.segmentBytes,
    fsync: config.spool.fsync,
    agentId: deps.agentId,
    bootId,
    log,
    // Deferred: the spool is in the middle of an append when it drops (design.md: "the drop is
    // counted and reported as an event"). The record carries this boot's cumulative totals, so a
    // report that is itself dropped later is superseded by the next one.
    onDrop: () => queueMicrotask(() => {
      const st = spool.stats();
      append({ type: "spool-drop", at: clock.now(), records: st.droppedRecords, bytes: st.droppedBytes });
    }),
  });

  const loopAbort = new AbortController();
  const loopSignal = AbortSignal.any([deps.signal, loopAbort.signal]);

  /** Decode spooled payloads; one that no longer decodes becomes a spool-drop record with the same seq. */
  const toRecords = (recs: readonly { seq: number; payload: Uint8Array }[]): TelemetryRecord[] =>
    recs.map((r) => {
      try {
        return { ...decodeRecord(r.payload), seq: r.seq } as TelemetryRecord;
      } catch (e) {
        log("error", "uplink: a spooled record no longer decodes; sending a spool-drop in its place", { seq: r.seq, error: String(e) });
        return { type: "spool-drop", at: clock.now(), records: 1, bytes: r.payload.length, seq: r.seq };
      }
    });

  /** Send the spool head once. Returns true when the collector acknowledged something. */
  /** The collector's Retry-After on the last failed send, if it gave one. */
  let retryAfterMs: number | undefined;
  const sendOnce = async (signal: AbortSignal): Promise<boolean> => {
    const b = spool.peek(maxRecords);
    if (!b) return false;
    const body = encodeBatch({ agentId: b.agentId, bootId: b.bootId, records: toRecords(b.records) });
    const headers: Record<string, string> = { "content-type": "application/vnd.edgeprobe.telemetry+cbor; v=1" };
    if (config.token) headers.authorization = `Bearer ${config.token}`;
    const res = await doFetch(url, { method: "POST", body, headers, signal: AbortSignal.any([signal, AbortSignal.timeout(config.requestTimeout)]) });
    const text = await res.text();
    if (!res.ok) {
      if (res.status === 413 && maxRecords > 1) maxRecords = Math.max(1, Math.floor(maxRecords / 2));
      // An overloaded collector says when to come back (RFC 9110 §10.2.3); the loop waits at least that long.
      retryAfterMs = parseRetryAfter(res.headers.get("retry-after"), clock.now());
      throw new Error(`Cannot deliver telemetry batch: collector answered ${res.status} ${text.slice(0, 300)}`);
    }
    let ack: IngestAck;
    try {
      ack = JSON.parse(text) as IngestAck;
    } catch (e) {
      throw new Error(`Cannot deliver telemetry batch: the collector's answer is not JSON: ${text.slice(0, 100)}`, { cause: e });
    }
    if (ack.bootId !== b.bootId || typeof ack.ack !== "number") throw new Error(`Cannot deliver telemetry batch: the collector acknowledged ${JSON.stringify(ack).slice(0, 200)} for boot ${b.bootId}`);
    spool.ack(ack.bootId, ack.ack);
    lastAck = { bootId: ack.bootId, seq: ack.ack };
    sentBatches++;
    const first = b.records[0].seq;
    sentRecords += Math.max(0, Math.min(ack.ack, b.records[b.records.length - 1].seq) - first + 1);
    maxRecords = Math.min(config.batch.maxRecords, maxRecords * 2);
    return ack.ack >= first;
  };

  const loop = async () => {
    let attempt = 0;
    while (!loopSignal.aborted) {
      try {
        await spool.waitForRecords(loopSignal);
        // Let a batch fill: send when maxRecords are waiting or after batch.interval.
        if (spool.stats().records < maxRecords) {
          const full = new Promise<void>((r) => (fullWaiter = r));
          const wait = new AbortController();
          await Promise.race([full, sleep(clock, config.batch.interval, AbortSignal.any([loopSignal, wait.signal])).catch(() => {})]);
          wait.abort();
          fullWaiter = undefined;
          if (loopSignal.aborted) break;
        }
        while (!loopSignal.aborted && spool.stats().records > 0) {
          const progressed = await sendOnce(loopSignal);
          if (state !== "connected") log("info", "uplink: connected to collector", { url });
          state = "connected";
          attempt = 0;
          backoffMs = 0;
          lastError = undefined;
          if (!progressed) break; // the collector acked nothing new: wait for the interval, not a busy loop
          if (spool.stats().records < maxRecords) break;
        }
      } catch (e) {
        if (loopSignal.aborted) break;
        failedSends++;
        lastError = (e as Error).message;
        if (urls.length > 1) {
          // Failover: the next collector of the list serves the same shared ack (docs/scale-out.md).
          current = (current + 1) % urls.length;
          url = urls[current];
          state = "idle";
          log("warn", "uplink: switching to the next collector", { url, error: lastError });
        }
        backoffMs = retryDelay(attempt++, config.backoff.initial, config.backoff.max, random, retryAfterMs);
        retryAfterMs = undefined;
        if (state !== "backoff") log("warn", "uplink: cannot reach collector, backing off", { url, error: lastError, backoffMs });
        state = "backoff";
        try {
          await sleep(clock, backoffMs, loopSignal);
        } catch {
          break;
        }
      }
    }
  };
  const running = loop();

  const uplink: Uplink = {
    emit(event: AgentEvent) {
      let body: RecordBody;
      try {
        body = recordFromEvent(event);
        if (body.type === "agent-start") body = { ...body, labels: { ...deps.labels } };
      } catch (e) {
        lostEvents++;
        log("error", "uplink: cannot turn an event into a record", { error: String(e), type: event.type });
        return;
      }
      append(body);
    },
    stats() {
      return { state, collector: url, bootId, spool: spool.stats(), lastAck, sentBatches, sentRecords, failedSends, lostEvents, lastError, backoffMs };
    },
    async close(signal) {
      loopAbort.abort(new Error("uplink closing"));
      await running;
      // A last flush while the collector answers; whatever is left stays in the spool for the next boot.
      try {
        while (!signal.aborted && state === "connected" && spool.stats().records > 0) {
          if (!(await sendOnce(signal))) break;
        }
      } catch (e) {
        log("info", "uplink: final flush stopped; records stay spooled", { error: String(e), pending: spool.stats().records });
      }
      for (const h of h2s ?? []) h.close();
      spool.close();
      state = "closed";
    },
  };
  return Promise.resolve(uplink);
}
