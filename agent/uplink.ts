/**
 * @module The telemetry uplink: AgentEvents → spool → CBOR batches → collector, resent until acked.
 *
 * `emit()` encodes the event and appends it to the on-disk spool synchronously (a few µs; it
 * never waits on the network). One sender loop reads batches from the spool head, POSTs them to
 * `<collector>/api/v1/ingest` over one keep-alive connection, and releases them when the
 * collector acknowledges `(bootId, seq)`. On any failure it retries the same head (so it resends
 * from the last ack) after an exponential backoff with jitter. One batch is in flight at a time,
 * so records arrive in seq order.
 *
 * Faults (docs/health.md "Faults"): telemetry never takes health down with it. A spool that cannot
 * be opened is retried with backoff while events are counted as lost; a disk that refuses writes
 * is the spool's counted drop; both mark telemetry `degraded` (one log line per episode, /status,
 * /metrics). A batch the collector refuses for good (400, 403) is quarantined and counted as
 * dropped with its problem `type`; 401, 413 and 5xx stay retries. An ack above the highest seq the
 * agent ever spooled for that boot is a protocol error: nothing is released, it is counted, resent.
 */
import type { AgentEvent, EventSink } from "./events.ts";
import type { Clock } from "../runtime/types.ts";
import type { LogFn } from "../common/log.ts";
import { decodeRecord, encodeBatch, encodeRecord } from "../telemetry/codec.ts";
import { recordFromEvent } from "./record_from_event.ts";
import type { RecordBody, TelemetryRecord } from "../telemetry/record.ts";
import type { TelemetryConfig } from "../telemetry/telemetry_config.ts";
import { openSpool, type Spool, type SpoolStats } from "./spool.ts";
import { quarantineBatch, refusalReason } from "./uplink_quarantine.ts";
import { join } from "node:path";
import { type FetchFn, tlsFetch } from "../runtime/tls_fetch.ts";
import { h2Fetch } from "../probes/mod.ts";
import { parseRetryAfter, retryDelay, streakAttempt } from "../common/retry_after.ts";
import { sleep } from "../common/abortable.ts";
import { collectorBase, decideSteer, STEER_HEADER } from "../telemetry/mod.ts";

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
  /** Whether telemetry is whole: `degraded` while the spool cannot be opened or written. */
  readonly telemetry: TelemetryHealth;
  /** Records in batches the collector refused for good (400/403), by problem `type`: quarantined, dropped. */
  readonly rejectedRecords: Readonly<Record<string, number>>;
  /** Acks above the highest seq spooled for their boot: refused, counted, resent. */
  readonly ackProtocolErrors: number;
  /** Steering hints followed: the uplink moved to the collector that consumes its records (telemetry/steer.ts). */
  readonly steers: number;
  /** Steering hints naming a URL outside `collector` and `failover` (or not a URL): ignored. */
  readonly steersIgnored: number;
}

export interface TelemetryHealth {
  readonly status: "ok" | "degraded";
  /** Why, while degraded: "spool-unopenable" or "spool-unwritable". */
  readonly reason?: string;
  readonly error?: string;
  /** ISO time the current episode began. */
  readonly since?: string;
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
  // Never throws for the spool: an unusable one is retried with backoff (health outlives telemetry).
  const { clock, log } = deps;
  const random = deps.random ?? Math.random;
  const bootId = deps.bootId ?? crypto.randomUUID().replaceAll("-", "");
  const urls = [config.collector, ...(config.failover ?? [])].map((c) => new URL("api/v1/ingest", c.endsWith("/") ? c : c + "/").toString());
  let current = 0;
  let url = urls[0];
  // When the uplink last moved off `collector` (monotonic ms), for `failback`.
  let leftPrimaryAt = 0;
  // Steering (telemetry/steer.ts): the configured list as compared with a hint, and the last steer (monotonic ms).
  const bases = [config.collector, ...(config.failover ?? [])].map(collectorBase);
  let lastSteerAt = -Infinity;
  let steers = 0;
  let steersIgnored = 0;
  let steerIgnoredLogged = false;
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

  let rejectedRecords: Record<string, number> = {};
  let ackProtocolErrors = 0;
  let ackErrorLogged = false;
  // Records that could not even reach a spool (none open yet): told to the spool once it opens.
  let unspooled = 0;
  let spoolError: string | undefined;
  let health: TelemetryHealth = { status: "ok" };
  let spool: Spool | undefined;

  /** Recompute telemetry health; one log line when it changes (docs/health.md "Faults"). */
  const checkHealth = () => {
    const fault = spool?.stats().fault;
    const next: Omit<TelemetryHealth, "since"> = !spool
      ? { status: "degraded", reason: "spool-unopenable", error: spoolError }
      : fault
      ? { status: "degraded", reason: "spool-unwritable", error: fault.error }
      : { status: "ok" };
    if (next.status === health.status && next.reason === health.reason) return;
    if (next.status === "degraded") {
      health = { ...next, since: new Date(clock.now()).toISOString() };
      log("error", "telemetry degraded: probing and /healthz go on; records are counted as dropped until the spool works", { event: "telemetry-degraded", reason: next.reason, error: next.error, dir: config.spool.dir });
    } else {
      log("info", "telemetry restored", { event: "telemetry-restored", was: health.reason, dropped: spool?.stats().droppedRecords ?? unspooled });
      health = next;
    }
  };

  const append = (body: RecordBody) => {
    if (!spool) {
      unspooled++;
      return;
    }
    try {
      spool.append(encodeRecord(body));
    } catch (e) {
      lostEvents++;
      log("error", "uplink: cannot spool a telemetry record", { error: String(e), type: body.type });
      return;
    }
    checkHealth();
    if (fullWaiter && spool.stats().records >= maxRecords) fullWaiter();
  };

  const tryOpen = (): boolean => {
    try {
      const s = openSpool({
        dir: config.spool.dir,
        maxBytes: config.spool.maxBytes,
        segmentBytes: config.spool.segmentBytes,
        fsync: config.spool.fsync,
        agentId: deps.agentId,
        bootId,
        log,
        now: () => clock.now(),
        retry: { initialMs: config.backoff.initial, maxMs: config.backoff.max },
        // Deferred: the spool is in the middle of an append when it drops (design.md: "the drop is
        // counted and reported as an event"). The record carries this boot's cumulative totals, so a
        // report that is itself dropped later is superseded by the next one.
        onDrop: () => queueMicrotask(() => {
          const st = spool!.stats();
          append({ type: "spool-drop", at: clock.now(), records: st.droppedRecords, bytes: st.droppedBytes });
        }),
      });
      if (unspooled > 0) s.countDropped(unspooled, 0, true);
      unspooled = 0;
      spool = s;
      spoolError = undefined;
      checkHealth();
      return true;
    } catch (e) {
      spoolError = (e as Error).message;
      checkHealth();
      return false;
    }
  };

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

  /**
   * Follow an accepted answer's steering hint for the sends after this one: only to a collector
   * of the configured list, at most once per `steerEvery`. Nothing else changes: the spool, the
   * ack and the one batch in flight are the same whichever collector answers (the shared ack of
   * a JetStream fleet), so records go once and in order across the switch. Failback still applies
   * to a steered uplink: after `failback` away from `collector` it tries `collector` again, which
   * steers it back if it does not consume this agent's partition (one more hop per `failback`).
   */
  const steerBy = (hint: string | null) => {
    if (hint === null) return;
    const now = clock.monotonic();
    const d = decideSteer(hint, bases, current, now - lastSteerAt, config.steerEvery);
    if (d.follow) {
      const from = url;
      current = d.index;
      url = urls[current];
      lastSteerAt = now;
      if (current !== 0) leftPrimaryAt = now;
      steers++;
      log("info", "uplink: steered to the collector that consumes this agent's records", { event: "telemetry-steered", from, url });
    } else if (d.reason === "unknown" || d.reason === "malformed") {
      // Bounded: one line per uplink, then only the counter (a collector would send it on every answer).
      steersIgnored++;
      if (!steerIgnoredLogged) log("warn", "uplink: ignoring a steering hint outside telemetry.collector and telemetry.failover (logged once; counted)", { event: "telemetry-steer-ignored", reason: d.reason, hint: hint.slice(0, 200) });
      steerIgnoredLogged = true;
    }
  };

  /** The collector's Retry-After on the last failed send, if it gave one. */
  let retryAfterMs: number | undefined;
  /** Send the spool head once. Returns true when the collector acknowledged something (or a refused batch was quarantined). */
  const sendOnce = async (sp: Spool, signal: AbortSignal): Promise<boolean> => {
    const b = sp.peek(maxRecords);
    if (!b) return false;
    const body = encodeBatch({ agentId: b.agentId, bootId: b.bootId, records: toRecords(b.records) });
    const headers: Record<string, string> = { "content-type": "application/vnd.edgeprobe.telemetry+cbor; v=1" };
    if (config.token) headers.authorization = `Bearer ${config.token}`;
    const res = await doFetch(url, { method: "POST", body, headers, signal: AbortSignal.any([signal, AbortSignal.timeout(config.requestTimeout)]) });
    const text = await res.text();
    const first = b.records[0].seq;
    const last = b.records[b.records.length - 1].seq;
    if (res.status === 400 || res.status === 403) {
      // Refused for good: resending the same bytes gets the same answer (RFC 9110 §15.5.1, §15.5.4),
      // and holding it would block every record behind it. 401 stays a retry: a token may be rotated.
      const reason = refusalReason(res.status, text);
      const file = quarantineBatch(join(config.spool.dir, "quarantine"), { bootId: b.bootId, first, last, reason }, body);
      sp.ack(b.bootId, last);
      sp.countDropped(b.records.length, body.length);
      rejectedRecords = { ...rejectedRecords, [reason]: (rejectedRecords[reason] ?? 0) + b.records.length };
      log("error", "uplink: the collector refused a batch; it is quarantined and the uplink moves on", {
        event: "telemetry-batch-quarantined", status: res.status, reason, bootId: b.bootId, first, last, records: b.records.length, file: file ?? "(not written: disk refused)", detail: text.slice(0, 300),
      });
      return true;
    }
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
    if (ack.bootId !== b.bootId || typeof ack.ack !== "number" || !Number.isSafeInteger(ack.ack)) throw new Error(`Cannot deliver telemetry batch: the collector acknowledged ${JSON.stringify(ack).slice(0, 200)} for boot ${b.bootId}`);
    const highest = sp.lastSeq(b.bootId);
    if (ack.ack > highest) {
      // Nobody honest can hold a seq this boot never spooled: releasing up to it would lose every
      // later record as a "duplicate". Keep everything, count it, resend after a backoff.
      ackProtocolErrors++;
      if (!ackErrorLogged) log("error", "uplink: the collector acknowledged a seq above any this agent spooled; keeping the records and resending", { event: "telemetry-ack-above-sent", bootId: b.bootId, ack: ack.ack, highest });
      ackErrorLogged = true;
      throw new Error(`Cannot accept the collector's ack: ${ack.ack} is above the highest seq ${highest} spooled for boot ${b.bootId}`);
    }
    sp.ack(ack.bootId, ack.ack);
    lastAck = { bootId: ack.bootId, seq: ack.ack };
    sentBatches++;
    sentRecords += Math.max(0, Math.min(ack.ack, last) - first + 1);
    maxRecords = Math.min(config.batch.maxRecords, maxRecords * 2);
    steerBy(res.headers.get(STEER_HEADER));
    return ack.ack >= first;
  };

  const loop = async () => {
    // Until the spool opens, retry it with backoff; the agent probes and serves meanwhile.
    for (let attempt = 0; !spool && !loopSignal.aborted; attempt++) {
      try {
        await sleep(backoffDelay(attempt, config.backoff.initial, config.backoff.max, random), loopSignal, clock);
      } catch {
        return;
      }
      tryOpen();
    }
    const sp = spool;
    if (!sp) return;
    let attempt = 0;
    // Whether the failures counted by `attempt` carried a Retry-After (common/retry_after.ts streakAttempt).
    let asked = false;
    while (!loopSignal.aborted) {
      try {
        await sp.waitForRecords(loopSignal);
        // Let a batch fill: send when maxRecords are waiting or after batch.interval.
        if (sp.stats().records < maxRecords) {
          const full = new Promise<void>((r) => (fullWaiter = r));
          const wait = new AbortController();
          await Promise.race([full, sleep(config.batch.interval, AbortSignal.any([loopSignal, wait.signal]), clock).catch(() => {})]);
          wait.abort();
          fullWaiter = undefined;
          if (loopSignal.aborted) break;
        }
        while (!loopSignal.aborted && sp.stats().records > 0) {
          if (current !== 0 && config.failback > 0 && clock.monotonic() - leftPrimaryAt >= config.failback) {
            // Revertive failover (telemetry.failback): the primary again; a failure moves on as before.
            current = 0;
            url = urls[0];
            log("info", "uplink: returning to the primary collector", { url });
          }
          const progressed = await sendOnce(sp, loopSignal);
          if (state !== "connected") log("info", "uplink: connected to collector", { url });
          state = "connected";
          attempt = 0;
          backoffMs = 0;
          lastError = undefined;
          if (!progressed) {
            // Acked nothing new, or the head is unreadable for now: wait an interval, not a busy loop.
            await sleep(config.batch.interval, loopSignal, clock).catch(() => {});
            break;
          }
          if (sp.stats().records < maxRecords) break;
        }
      } catch (e) {
        if (loopSignal.aborted) break;
        failedSends++;
        lastError = (e as Error).message;
        if (urls.length > 1) {
          // Failover: the next collector of the list serves the same shared ack (docs/scale-out.md).
          current = (current + 1) % urls.length;
          url = urls[current];
          leftPrimaryAt = clock.monotonic();
          state = "idle";
          log("warn", "uplink: switching to the next collector", { url, error: lastError });
        }
        attempt = streakAttempt(attempt, asked, retryAfterMs !== undefined);
        asked = retryAfterMs !== undefined;
        backoffMs = retryDelay(attempt++, config.backoff.initial, config.backoff.max, random, retryAfterMs);
        retryAfterMs = undefined;
        if (state !== "backoff") log("warn", "uplink: cannot reach collector, backing off", { url, error: lastError, backoffMs });
        state = "backoff";
        try {
          await sleep(backoffMs, loopSignal, clock);
        } catch {
          break;
        }
      }
    }
  };
  tryOpen();
  const running = loop();

  const emptySpool: SpoolStats = { bytes: 0, records: 0, segments: 0, droppedRecords: 0, droppedBytes: 0, faultRecords: 0, repairedFrames: 0 };
  const spoolStats = (): SpoolStats => {
    if (spool) return spool.stats();
    return { ...emptySpool, droppedRecords: unspooled, faultRecords: unspooled };
  };

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
      checkHealth();
      return { state, collector: url, bootId, spool: spoolStats(), lastAck, sentBatches, sentRecords, failedSends, lostEvents, lastError, backoffMs, telemetry: health, rejectedRecords, ackProtocolErrors, steers, steersIgnored };
    },
    async close(signal) {
      loopAbort.abort(new Error("uplink closing"));
      await running;
      // A last flush while the collector answers; whatever is left stays in the spool for the next boot.
      const sp = spool;
      try {
        while (sp && !signal.aborted && state === "connected" && sp.stats().records > 0) {
          if (!(await sendOnce(sp, signal))) break;
        }
      } catch (e) {
        log("info", "uplink: final flush stopped; records stay spooled", { error: String(e), pending: sp?.stats().records });
      }
      for (const h of h2s ?? []) h.close();
      sp?.close();
      state = "closed";
    },
  };
  return Promise.resolve(uplink);
}
