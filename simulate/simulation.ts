/**
 * @module A fleet of emulated agents driving real collectors through the real uplink protocol:
 * CBOR batches (telemetry/codec.ts) POSTed to `/api/v1/ingest` over HTTP/1.1 keep-alive or h2c,
 * resent from the last ack until acknowledged, with backoff and jitter that honours
 * `Retry-After`. One timer and one heap drive every agent (simulate/due_queue.ts), so one core
 * emulates tens of thousands of agents (docs/fleet-simulator.md has the measured cost).
 *
 * Like the real uplink (agent/uplink.ts), an agent never has two batches in flight, so records
 * arrive in seq order. Unlike it, the fleet shares `concurrency` requests in flight (a real
 * fleet has one connection per agent; a lab box has a few hundred sockets to spare).
 */
import { collectorBase, decideSteer, encodeBatch, STEER_HEADER } from "../telemetry/mod.ts";
import type { FetchFn } from "../runtime/tls_fetch.ts";
import { h2Fetch, type H2Fetch } from "../probes/mod.ts";
import { DueQueue } from "./due_queue.ts";
import { probesOf, type ProbeSpec } from "./probe_mix.ts";
import { parseRetryAfter, retryDelay, streakAttempt } from "../common/retry_after.ts";
import { addAbortListener } from "../common/abortable.ts";
import { seededRandom } from "./rng.ts";
import { ack, advance, type Behaviour, DEFAULT_BEHAVIOUR, newSimAgent, peek, type SimAgent } from "./sim_agent.ts";

export interface SimulationOptions {
  /** Number of emulated agents. */
  readonly agents: number;
  /**
   * Collector base URLs; agent i starts at collector i mod n, fails over round robin, and follows
   * a steering hint (`Edgeprobe-Steer`) to another URL of this list by the uplink's rule
   * (telemetry/steer.ts).
   */
  readonly collectors: readonly string[];
  /** The least time between two steers of one agent (the uplink's `telemetry.steerEvery`); 0 ignores hints. @default 30000 */
  readonly steerEveryMs?: number;
  /** Bearer token for every agent (the collector's `auth.sharedToken`), or one per agent. */
  readonly token: string | ((agentId: string) => string);
  /** "http/1.1" (fetch, keep-alive) or "h2" (one h2c/h2 session per collector). @default "http/1.1" */
  readonly transport?: "http/1.1" | "h2";
  /** Probes per agent, from simulate/probe_mix.ts. @default 10 */
  readonly probesPerAgent?: number;
  /** Replace the probe mix. */
  readonly probes?: readonly ProbeSpec[];
  /** How often an agent sends what it spooled. @default 5000 */
  readonly batchIntervalMs?: number;
  /** Records per batch at most (the uplink's batch.maxRecords). @default 500 */
  readonly maxBatchRecords?: number;
  /** Requests in flight across the fleet. @default 256 */
  readonly concurrency?: number;
  /** One request's budget, response included. @default 10000 */
  readonly requestTimeoutMs?: number;
  /** Backoff after a failed send (the uplink's backoff.initial / max). @default 500 / 30000 */
  readonly backoffMs?: { readonly initial: number; readonly max: number };
  readonly behaviour?: Partial<Behaviour>;
  /** Agent ids are `${idPrefix}-00001`... @default "sim" */
  readonly idPrefix?: string;
  /** Regions and sites per region for the agents' labels. @default 8 and 16 */
  readonly regions?: number;
  readonly sitesPerRegion?: number;
  /** Same seed, same fleet. @default 1 */
  readonly seed?: number;
  /** Scheduling granularity. @default 20 */
  readonly tickMs?: number;
  /** Stops the simulation (in-flight requests are aborted). */
  readonly signal: AbortSignal;
  readonly now?: () => number;
}

export interface SimulationStats {
  readonly agents: number;
  /** Agents the collector acknowledged a batch of: nodes of the fleet (none goes silent before). */
  readonly joined: number;
  readonly silent: number;
  readonly elapsedMs: number;
  /** Records the fleet produced, acknowledged, dropped from full spools, and still spooled. */
  readonly generated: number;
  /** Probe-result records among `generated`. */
  readonly probeResults: number;
  readonly acked: number;
  readonly dropped: number;
  readonly pending: number;
  readonly batches: { readonly ok: number; readonly failed: number; readonly byStatus: Readonly<Record<string, number>> };
  /** Failed sends that waited as long as the collector's Retry-After asked. */
  readonly retryAfterHonoured: number;
  /** Steering hints followed (an agent moved to the collector that consumes its records), and ignored as outside `collectors`. */
  readonly steers: number;
  readonly steersIgnored: number;
  readonly inFlight: number;
  /** Agents with something to send waiting for a free request slot. */
  readonly queued: number;
  /** Agents waiting out a backoff after a failed send (a 503's Retry-After among them). */
  readonly backingOff: number;
  /** Ingest round trip of acknowledged batches over the last 4,096, ms. */
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly boots: number;
  readonly stateChanges: number;
  readonly verdictChanges: number;
  readonly peerRestarts: number;
  readonly silences: number;
  /** CPU time of this process since the simulation started (user + system), ms. */
  readonly cpuMs: number;
}

export interface Simulation {
  stats(): SimulationStats;
  /**
   * Agents with a batch acknowledged at or after `t` (the `now` clock): after a collector
   * restart at `t`, how many have reconnected and been accepted.
   */
  ackedSince(t: number): number;
  /**
   * Stop producing records, end partitions, and send until every spool is empty (or `signal`
   * aborts). Resolves with the final stats.
   */
  drain(signal: AbortSignal): Promise<SimulationStats>;
  /** Stop now: abort requests, close sessions. Also happens when the options' signal aborts. */
  stop(): Promise<SimulationStats>;
}

const LAT_RING = 4096;

/**
 * Start emulating `agents` agents against `collectors`.
 * @throws {Error} "Cannot start simulation: …" for options that cannot work.
 * @example
 * const sim = startSimulation({ agents: 10_000, collectors: ["http://127.0.0.1:8080"], token, signal });
 * await sleep(60_000); await sim.drain(AbortSignal.timeout(60_000));
 */
export function startSimulation(o: SimulationOptions): Simulation {
  if (!(o.agents >= 1)) throw new Error(`Cannot start simulation: agents must be ≥ 1, not ${o.agents}`);
  if (o.collectors.length === 0) throw new Error("Cannot start simulation: no collector URL");
  const now = o.now ?? Date.now;
  const random = seededRandom(o.seed ?? 1);
  const behaviour: Behaviour = { ...DEFAULT_BEHAVIOUR, ...o.behaviour };
  const batchInterval = o.batchIntervalMs ?? 5000;
  const maxRecords = o.maxBatchRecords ?? 500;
  const concurrency = o.concurrency ?? 256;
  const timeoutMs = o.requestTimeoutMs ?? 10_000;
  const backoff = o.backoffMs ?? { initial: 500, max: 30_000 };
  const tickMs = o.tickMs ?? 20;
  const regions = o.regions ?? 8;
  const sites = o.sitesPerRegion ?? 16;
  const prefix = o.idPrefix ?? "sim";
  const specs = o.probes ?? probesOf(o.probesPerAgent ?? 10);
  const width = Math.max(5, String(o.agents).length);

  const urls = o.collectors.map((c) => new URL("api/v1/ingest", c.endsWith("/") ? c : c + "/").toString());
  const bases = o.collectors.map(collectorBase);
  const steerEvery = o.steerEveryMs ?? 30_000;
  const h2s: H2Fetch[] | undefined = o.transport === "h2" ? urls.map((u) => h2Fetch(new URL(u).origin)) : undefined;
  const plain: FetchFn = (i, init) => fetch(i, init);
  const fetchOf = (c: number): FetchFn => (h2s ? h2s[c] : plain);
  const tokenOf = typeof o.token === "string" ? (() => o.token as string) : o.token;

  const stop = new AbortController();
  const signal = AbortSignal.any([o.signal, stop.signal]);
  const t0 = now();
  const cpu0 = process.cpuUsage();

  const agents: SimAgent[] = [];
  const collectorOf: number[] = [];
  const attempts: number[] = [];
  /** Whether each agent's failures in a row carried a Retry-After (common/retry_after.ts streakAttempt). */
  const asked = new Uint8Array(o.agents);
  /** When each agent's last batch was acknowledged (the `now` clock); -1 before its first. */
  const lastAck = new Float64Array(o.agents).fill(-1);
  /** When each agent last followed a steering hint (the `now` clock). */
  const lastSteer = new Float64Array(o.agents).fill(-Infinity);
  let steers = 0, steersIgnored = 0;
  const queue = new DueQueue();
  for (let i = 0; i < o.agents; i++) {
    const region = `r${String(i % regions).padStart(2, "0")}`;
    const site = `${region}-s${String(Math.floor(i / regions) % sites).padStart(2, "0")}`;
    agents.push(newSimAgent(`${prefix}-${String(i + 1).padStart(width, "0")}`, { region, site, role: "upf" }, specs, behaviour, t0, random));
    collectorOf.push(i % urls.length);
    attempts.push(0);
  }

  let ok = 0, failed = 0, honoured = 0, inFlight = 0;
  const byStatus: Record<string, number> = {};
  const lat = new Float64Array(LAT_RING);
  let latN = 0;
  const ready: number[] = [];
  let readyHead = 0;
  let draining = false;
  let drainWaiter: (() => void) | undefined;
  let stopped = false;

  /** Each agent's one valid due time; heap entries with another time are stale. -1: queued or in flight. */
  const dueAt: number[] = new Array(o.agents).fill(0);
  const schedule = (i: number, due: number) => {
    dueAt[i] = due;
    queue.push(due, i);
  };
  // Agents started at different times: their batches spread over one interval.
  for (let i = 0; i < o.agents; i++) schedule(i, t0 + random() * batchInterval);

  const pending = () => {
    let n = 0;
    for (const a of agents) n += a.spooled;
    return n;
  };

  const send = async (i: number): Promise<void> => {
    const a = agents[i];
    const head = peek(a, maxRecords);
    if (!head) return schedule(i, now() + batchInterval);
    inFlight++;
    const c = collectorOf[i];
    const started = performance.now();
    let retryAfterMs: number | undefined;
    let success = false;
    try {
      const body = encodeBatch({ agentId: a.id, bootId: head.bootId, records: head.records });
      const res = await fetchOf(c)(urls[c], {
        method: "POST",
        body: body as Uint8Array<ArrayBuffer>,
        headers: { "content-type": "application/vnd.edgeprobe.telemetry+cbor; v=1", authorization: `Bearer ${tokenOf(a.id)}` },
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      });
      const text = await res.text();
      byStatus[res.status] = (byStatus[res.status] ?? 0) + 1;
      if (res.ok) {
        const answer = JSON.parse(text) as { bootId: string; ack: number };
        ack(a, answer.bootId, answer.ack);
        lastAck[i] = now();
        const hint = res.headers.get(STEER_HEADER);
        if (hint !== null) {
          const d = decideSteer(hint, bases, c, lastAck[i] - lastSteer[i], steerEvery);
          if (d.follow) (collectorOf[i] = d.index, lastSteer[i] = lastAck[i], steers++);
          else if (d.reason === "unknown" || d.reason === "malformed") steersIgnored++;
        }
        success = true;
        lat[latN++ % LAT_RING] = performance.now() - started;
      } else {
        retryAfterMs = parseRetryAfter(res.headers.get("retry-after"), now());
      }
    } catch (e) {
      const name = (e as Error).name === "TimeoutError" ? "timeout" : signal.aborted ? "aborted" : "network";
      byStatus[name] = (byStatus[name] ?? 0) + 1;
    } finally {
      inFlight--;
    }
    if (stopped) return;
    if (success) {
      ok++;
      attempts[i] = 0;
      // A full spool head goes again at once (the uplink's inner loop): straight to the ready
      // queue, not through the next tick (up to tickMs later), which left a collector that answers
      // a whole group commit at once without work between its groups; otherwise wait for the interval.
      if (a.spooled >= maxRecords) (dueAt[i] = -1, ready.push(i));
      else schedule(i, now() + batchInterval);
    } else {
      failed++;
      if (retryAfterMs !== undefined) honoured++;
      if (urls.length > 1) collectorOf[i] = (c + 1) % urls.length;
      attempts[i] = streakAttempt(attempts[i], asked[i] === 1, retryAfterMs !== undefined);
      asked[i] = retryAfterMs !== undefined ? 1 : 0;
      schedule(i, now() + retryDelay(attempts[i]++, backoff.initial, backoff.max, random, retryAfterMs));
    }
    pump();
  };

  const pump = () => {
    while (inFlight < concurrency && readyHead < ready.length) void send(ready[readyHead++]);
    if (readyHead > 4096 && readyHead * 2 > ready.length) {
      ready.splice(0, readyHead);
      readyHead = 0;
    }
    // pending() walks the fleet: only when nothing is moving.
    if (draining && drainWaiter && inFlight === 0 && readyHead >= ready.length && pending() === 0) drainWaiter();
  };

  const tick = () => {
    if (stopped) return;
    const t = now();
    while (queue.peek() <= t) {
      const due = queue.peek();
      const i = queue.pop();
      if (dueAt[i] !== due) continue; // rescheduled since
      dueAt[i] = -1;
      const a = agents[i];
      const canSend = draining ? true : advance(a, behaviour, t, random);
      if (canSend && a.spooled > 0) ready.push(i);
      else if (!draining) schedule(i, t + batchInterval);
    }
    pump();
    timer = setTimeout(tick, tickMs);
  };
  let timer = setTimeout(tick, tickMs);

  const stats = (): SimulationStats => {
    const c = { generated: 0, probeResults: 0, acked: 0, dropped: 0, boots: 0, stateChanges: 0, verdictChanges: 0, peerRestarts: 0, silences: 0 };
    let silent = 0, pend = 0, backingOff = 0, joined = 0;
    const t = now();
    for (let i = 0; i < agents.length; i++) {
      if (attempts[i] > 0 && dueAt[i] > t) backingOff++;
      if (lastAck[i] >= 0) joined++;
    }
    for (const a of agents) {
      for (const k of Object.keys(c) as (keyof typeof c)[]) c[k] += a.counters[k];
      pend += a.spooled;
      if (t < a.silentUntil) silent++;
    }
    const n = Math.min(latN, LAT_RING);
    const sorted = Array.from(lat.subarray(0, n)).sort((x, y) => x - y);
    const q = (p: number) => (n ? +sorted[Math.min(n - 1, Math.floor(p * n))].toFixed(2) : 0);
    const cpu = process.cpuUsage(cpu0);
    return {
      agents: agents.length,
      joined,
      silent,
      elapsedMs: t - t0,
      ...c,
      pending: pend,
      batches: { ok, failed, byStatus: { ...byStatus } },
      retryAfterHonoured: honoured,
      steers,
      steersIgnored,
      inFlight,
      queued: ready.length - readyHead,
      backingOff,
      latencyMs: { p50: q(0.5), p99: q(0.99), max: n ? +sorted[n - 1].toFixed(2) : 0 },
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    };
  };

  const shutdown = () => {
    if (stopped) return;
    stopped = true;
    clearTimeout(timer);
    stop.abort(new Error("simulation stopped"));
    for (const h of h2s ?? []) h.close();
  };
  addAbortListener(signal, shutdown);

  return {
    stats,
    ackedSince(since) {
      let n = 0;
      for (let i = 0; i < lastAck.length; i++) if (lastAck[i] >= since) n++;
      return n;
    },
    drain(dsignal) {
      draining = true;
      // Partitions end now; restarted agents send what their previous boot left.
      for (const a of agents) a.silentUntil = Math.min(a.silentUntil, 1);
      // Every agent with something spooled is due now, whatever its backoff said.
      const t = now();
      for (let i = 0; i < agents.length; i++) if (dueAt[i] !== -1 && agents[i].spooled > 0) schedule(i, t);
      return new Promise<SimulationStats>((resolve) => {
        const done = () => {
          offAbort();
          drainWaiter = undefined;
          resolve(stats());
        };
        if (dsignal.aborted || stopped) return resolve(stats());
        drainWaiter = done;
        const offAbort = addAbortListener(dsignal, done);
        pump();
      });
    },
    stop() {
      shutdown();
      return Promise.resolve(stats());
    },
  };
}
