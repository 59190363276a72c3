/**
 * @module startAgent(): the composition root of the edge agent. It owns the scheduler, the
 * per-probe state, the verdict snapshot, the HTTP server and the uplink, and fans every result
 * out to health and telemetry in one place (style.md §5).
 */
import { Hono } from "hono";
import { probeKinds } from "../probes/mod.ts";
import type { ProbeInstance, ProbeKind, ProbeResult } from "../probes/types.ts";
import type { Clock, Net } from "../runtime/types.ts";
import { startServer } from "../server/serve.ts";
import { problemResponse } from "../server/problem.ts";
import type { ServerHandle } from "../server/types.ts";
import type { LogFn } from "../common/log.ts";
import type { AgentConfig, ProbeConfig } from "./config.ts";
import type { AgentEvent, EventSink, TelemetryUplink, Verdict } from "./events.ts";
import { aggregate, type NodeVerdict } from "./health.ts";
import { encodeHealthSnapshot, type HealthSnapshot } from "./healthz.ts";
import { monitorLoopLag } from "./loop_lag.ts";
import { renderMetrics } from "./metrics.ts";
import { newProbeState, type ProbeState, recentQuantiles, recordResult } from "./probe_state.ts";
import { createScheduler } from "./scheduler.ts";
import { startRegistration } from "../probes/etcd/registration.ts";

export interface AgentDeps {
  readonly clock: Clock;
  readonly net: Net;
  readonly log: LogFn;
  readonly version: string;
  readonly runtime: string;
  readonly target: string;
  readonly random?: () => number;
  /** Builds the telemetry uplink when the config has a `telemetry` section. */
  readonly createUplink?: (config: AgentConfig, ctx: { bootId: string; log: LogFn; clock: Clock }) => Promise<TelemetryUplink>;
  /** More event sinks beside the uplink (agent/tracing.ts); `probeConfig` reads the live config. */
  readonly createSinks?: (ctx: { probeConfig: (name: string) => ProbeConfig | undefined }) => readonly EventSink[];
  readonly readFile?: (path: string) => string;
  /** More Prometheus lines for /metrics (the process's escaped-error counters, cli/agent_lifecycle.ts). */
  readonly extraMetrics?: () => string;
  /** The probe registry; tests pass their own kinds. @default probeKinds */
  readonly kinds?: Readonly<Record<string, ProbeKind<unknown>>>;
}

export interface ReloadSummary {
  readonly added: string[];
  readonly removed: string[];
  readonly changed: string[];
  readonly kept: string[];
  readonly restartNeeded: string[];
}

export interface AgentHandle {
  readonly hostname: string;
  readonly port: number;
  readonly bootId: string;
  verdict(): NodeVerdict;
  status(): unknown;
  /** Apply a new, already validated config; unchanged probes keep their state and counters. */
  reload(next: AgentConfig): Promise<ReloadSummary>;
  /** Flip to 503 at once, drain, close probes (DPR), flush the uplink. */
  stop(reason: string, signal?: AbortSignal): Promise<void>;
  /** Count a reload that was refused (invalid config). */
  reloadFailed(): void;
}

interface Entry {
  state: ProbeState;
  instance: ProbeInstance;
  /** Config as compared on reload (options after validation). */
  fingerprint: string;
}

function fingerprint(p: ProbeConfig): string {
  return JSON.stringify(p);
}

export async function startAgent(config: AgentConfig, deps: AgentDeps): Promise<AgentHandle> {
  const { clock, log } = deps;
  const bootId = crypto.randomUUID();
  const startedAt = clock.now();
  let cfg = config;
  let draining = false;
  const entries = new Map<string, Entry>();
  const reloads = { ok: 0, failed: 0 };
  const lag = monitorLoopLag(clock);
  let uplink: TelemetryUplink | undefined;
  if (cfg.telemetry && deps.createUplink) uplink = await deps.createUplink(cfg, { bootId, log, clock });

  // The uplink and any extra sinks (agent/tracing.ts) get every event; none may break the loop.
  const sinks: EventSink[] = [...(uplink ? [uplink] : []), ...(deps.createSinks?.({ probeConfig: (name) => entries.get(name)?.state.config }) ?? [])];
  const emit = (ev: AgentEvent) => {
    for (const sink of sinks) {
      try {
        sink.emit(ev);
      } catch (e) {
        log("warn", "Cannot hand an event to a sink", { error: String(e), event: ev.type });
      }
    }
  };

  let verdict: NodeVerdict = aggregate([]);
  let verdictAnnounced = false;
  let started = false;
  let snapshot: HealthSnapshot = encode();
  function encode(): HealthSnapshot {
    return encodeHealthSnapshot({ verdict, draining, degradedStatus: cfg.health.degraded, agentId: cfg.agent.id });
  }
  function recompute() {
    const next = aggregate([...entries.values()].map((e) => ({ name: e.state.config.name, critical: e.state.config.critical, state: e.state.health.state })));
    const changed = next.status !== verdict.status || next.criticalKnown !== verdict.criticalKnown ||
      next.downCauses.join() !== verdict.downCauses.join() || next.degradedCauses.join() !== verdict.degradedCauses.join();
    const prev = verdict.status;
    verdict = next;
    if (changed) snapshot = encode();
    // The collector learns the verdict from these events, so the first complete one is sent even
    // when it equals the initial UP (a node that was always UP would otherwise have none).
    const firstComplete = !verdictAnnounced && started && next.criticalKnown;
    if (next.status !== prev || firstComplete) {
      verdictAnnounced = true;
      const causes = [...next.downCauses, ...next.degradedCauses];
      // One structured line per verdict change (issue 2, item 5).
      if (next.status !== prev) {
        log(next.status === "UP" ? "info" : "warn", "verdict changed", { event: "verdict-change", agent: cfg.agent.id, from: prev, to: next.status, down: next.downCauses, degraded: next.degradedCauses });
      }
      emit({ type: "verdict-change", at: clock.now(), from: prev as Verdict, to: next.status, causes });
    }
  }

  const scheduler = createScheduler({
    clock,
    random: deps.random,
    onResult(name, result) {
      const e = entries.get(name);
      if (e) onResult(e, result);
    },
  });

  function onResult(e: Entry, result: ProbeResult) {
    const s = e.state;
    const prev = recordResult(s, result);
    emit({ type: "probe-result", probe: s.config.name, kind: s.config.kind, result });
    for (const ev of result.events ?? []) {
      if (ev.type === "peer-restart") {
        log("warn", "peer restart detected", { event: "peer-restart", probe: s.config.name, ...ev.detail });
        emit({ type: "peer-restart", at: result.startedAt, probe: s.config.name, detail: ev.detail });
      } else {
        log("info", "probe event", { event: ev.type, probe: s.config.name, ...ev.detail });
      }
    }
    // A kind may ask for another interval (SBI NRF heartBeatTimer, TS 29.510 §5.2.2.3.2).
    const adopted = result.facts?.adoptedIntervalMs;
    if (typeof adopted === "number" && adopted > 0) scheduler.setInterval(s.config.name, adopted);
    if (prev.state !== s.health.state) {
      log("info", "probe state changed", { event: "state-change", probe: s.config.name, from: prev.state, to: s.health.state, failure: result.failure?.kind });
      emit({ type: "state-change", at: result.startedAt, probe: s.config.name, from: prev.state, to: s.health.state });
      recompute();
    }
  }

  function createEntry(p: ProbeConfig, keep?: ProbeState): Entry {
    const kind = (deps.kinds ?? probeKinds)[p.kind];
    const instance = kind.create({
      name: p.name,
      target: p.target,
      intervalMs: p.interval,
      timeoutMs: p.timeout,
      sourceAddress: p.sourceAddress,
      options: p.options,
    }, { net: deps.net, now: () => clock.now(), log: (level, msg, fields) => log(level, msg, { probe: p.name, ...fields }) });
    const state = keep ?? newProbeState(p);
    state.config = p;
    return { state, instance, fingerprint: fingerprint(p) };
  }

  function schedule(e: Entry) {
    const p = e.state.config;
    scheduler.add({ name: p.name, intervalMs: p.interval, timeoutMs: p.timeout, jitter: p.jitter, instance: e.instance });
  }

  for (const p of cfg.probes) {
    const e = createEntry(p);
    entries.set(p.name, e);
  }
  recompute();

  // ---- HTTP surface --------------------------------------------------------------------
  const app = new Hono();
  app.get("/livez", () => {
    const ms = lag.lagMs();
    if (ms > cfg.health.maxEventLoopLag) {
      return problemResponse({ title: "Event loop stalled", status: 503, detail: `event-loop lag ${Math.round(ms)}ms exceeds ${cfg.health.maxEventLoopLag}ms`, cause: "EVENT_LOOP_LAG" });
    }
    return Response.json({ live: true, eventLoopLagMs: Math.round(ms * 10) / 10 });
  });
  app.get("/status", () => Response.json(status()));
  app.get("/metrics", () =>
    new Response(metrics(), { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" } }));
  app.notFound((c) => problemResponse({ title: "Not Found", status: 404, detail: `no resource at ${new URL(c.req.url).pathname}`, cause: "RESOURCE_URI_STRUCTURE_NOT_FOUND" }));
  app.onError((e) => {
    log("error", "Cannot answer request", { error: String(e) });
    return problemResponse({ title: "Internal Server Error", status: 500, detail: "the agent failed to answer", cause: "SYSTEM_FAILURE" });
  });
  // Every non-GET on a known path: 405 with Allow (RFC 9110 §15.5.6).
  const paths = new Set(["/healthz", "/readyz", "/livez", "/status", "/metrics"]);
  const handler = (req: Request) => {
    const path = new URL(req.url).pathname;
    if (paths.has(path) && req.method !== "GET" && req.method !== "HEAD") {
      return problemResponse({ title: "Method Not Allowed", status: 405, detail: `${req.method} is not allowed on ${path}`, cause: "METHOD_NOT_ALLOWED" }, { allow: "GET, HEAD" });
    }
    return app.fetch(req);
  };

  function status() {
    return {
      agent: {
        id: cfg.agent.id,
        labels: cfg.agent.labels,
        version: deps.version,
        runtime: deps.runtime,
        target: deps.target,
        bootId,
        startedAt: new Date(startedAt).toISOString(),
        draining,
      },
      verdict: { status: verdict.status, down: verdict.downCauses, degraded: verdict.degradedCauses, ready: verdict.criticalKnown && !draining },
      probes: [...entries.values()].map(({ state: s }) => {
        const loop = scheduler.stats(s.config.name);
        return {
          name: s.config.name,
          kind: s.config.kind,
          target: s.config.target,
          interface: s.config.interface,
          critical: s.config.critical,
          state: s.health.state,
          consecutiveOk: s.health.consecutiveOk,
          consecutiveFail: s.health.consecutiveFail,
          runs: s.runs,
          failures: s.failuresByKind,
          peerRestarts: s.peerRestarts,
          lastResult: s.lastResult && {
            ok: s.lastResult.ok,
            at: new Date(s.lastResult.startedAt).toISOString(),
            latencyMs: s.lastResult.latencyMs,
            failure: s.lastResult.failure,
          },
          latencyMs: recentQuantiles(s),
          lastError: s.lastError && { ...s.lastError, at: new Date(s.lastError.at).toISOString() },
          facts: s.facts,
          scheduler: loop && { overruns: loop.overruns, lastLatenessMs: Math.round(loop.lastLatenessMs * 1000) / 1000 },
        };
      }),
      uplink: uplink?.stats(),
    };
  }

  function metrics(): string {
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    return renderMetrics({
      agentId: cfg.agent.id,
      version: deps.version,
      runtime: deps.runtime,
      target: deps.target,
      startedAtMs: startedAt,
      probes: [...entries.values()].map((e) => ({ kind: e.state.config.kind, state: e.state, loop: scheduler.stats(e.state.config.name) })),
      verdict,
      draining,
      connections: server.connections(),
      eventLoopLagMs: lag.lagMs(),
      reloads,
      uplinkText: (uplink?.metrics() ?? "") + (deps.extraMetrics?.() ?? ""),
      memory: { rss: mem.rss, heapUsed: mem.heapUsed },
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    });
  }

  const limits = cfg.server.limits;
  const server: ServerHandle = await startServer({
    hostname: cfg.server.listen.host,
    port: cfg.server.listen.port,
    tls: cfg.server.tls && deps.readFile
      ? { cert: deps.readFile(cfg.server.tls.cert), key: deps.readFile(cfg.server.tls.key), ca: cfg.server.tls.ca ? deps.readFile(cfg.server.tls.ca) : undefined }
      : undefined,
    limits: {
      headerTimeoutMs: limits.headerTimeout,
      requestTimeoutMs: limits.requestTimeout,
      idleTimeoutMs: limits.idleTimeout,
      maxConnections: limits.maxConnections,
      maxHeaderBytes: limits.maxHeaderBytes,
      maxBodyBytes: limits.maxBodyBytes,
    },
    // The hot paths: a map lookup and a socket write, no framework, no await.
    fast: (_method, path) => path === "/healthz" ? snapshot.healthz : path === "/readyz" ? snapshot.readyz : undefined,
    handler,
    log,
  });

  for (const e of entries.values()) schedule(e);
  emit({ type: "agent-start", at: startedAt, version: deps.version });
  started = true;

  // Self-registration in etcd: a key bound to a lease, so a dead agent's key vanishes (issue 5).
  const registrationStop = new AbortController();
  const reg = cfg.registration?.etcd;
  const registration = reg
    ? startRegistration({
      endpoints: reg.endpoints,
      agentId: cfg.agent.id,
      ttlSeconds: Math.round(reg.ttl / 1000),
      prefix: reg.prefix,
      username: reg.username,
      password: reg.password,
      tls: reg.tls,
      summary: () => ({
        status: draining ? "DRAINING" : verdict.status,
        down: verdict.downCauses,
        degraded: verdict.degradedCauses,
        labels: cfg.agent.labels,
        bootId,
        version: deps.version,
      }),
      log,
      signal: registrationStop.signal,
    })
    : undefined;
  log("info", "agent started", { agent: cfg.agent.id, listen: `${server.hostname}:${server.port}`, probes: entries.size, bootId, runtime: deps.runtime });

  let stopping: Promise<void> | undefined;
  return {
    hostname: server.hostname,
    port: server.port,
    bootId,
    verdict: () => verdict,
    status,
    reloadFailed() {
      reloads.failed++;
    },
    async reload(next) {
      const summary: ReloadSummary = { added: [], removed: [], changed: [], kept: [], restartNeeded: [] };
      if (JSON.stringify(next.server) !== JSON.stringify(cfg.server)) summary.restartNeeded.push("server");
      if (JSON.stringify(next.telemetry) !== JSON.stringify(cfg.telemetry)) summary.restartNeeded.push("telemetry");
      if (JSON.stringify(next.otel) !== JSON.stringify(cfg.otel)) summary.restartNeeded.push("otel");
      const wanted = new Map(next.probes.map((p) => [p.name, p]));
      for (const [name, e] of entries) {
        const p = wanted.get(name);
        if (!p) {
          summary.removed.push(name);
          entries.delete(name);
          await scheduler.remove(name);
          await e.instance.close(AbortSignal.timeout(2000)).catch(() => {});
        } else if (fingerprint(p) !== e.fingerprint) {
          summary.changed.push(name);
          await scheduler.remove(name);
          await e.instance.close(AbortSignal.timeout(2000)).catch(() => {});
          // Target or kind changed: the history belongs to another path; otherwise keep counters.
          const samePath = p.kind === e.state.config.kind && p.target === e.state.config.target;
          const ne = createEntry(p, samePath ? e.state : undefined);
          entries.set(name, ne);
          schedule(ne);
        } else {
          summary.kept.push(name);
        }
      }
      for (const p of next.probes) {
        if (entries.has(p.name)) continue;
        summary.added.push(p.name);
        const ne = createEntry(p);
        entries.set(p.name, ne);
        schedule(ne);
      }
      // Keep the configured order for /status.
      const ordered = next.probes.map((p) => [p.name, entries.get(p.name)!] as const);
      entries.clear();
      for (const [n, e] of ordered) entries.set(n, e);
      cfg = { ...next, server: cfg.server, telemetry: cfg.telemetry, otel: cfg.otel };
      reloads.ok++;
      snapshot = encode();
      recompute();
      log("info", "config reloaded", { event: "config-reload", ...summary });
      if (summary.restartNeeded.length) log("warn", "some changes take effect only after a restart", { sections: summary.restartNeeded });
      emit({ type: "config-reload", at: clock.now(), added: summary.added, removed: summary.removed, changed: summary.changed });
      return summary;
    },
    stop(reason, signal) {
      stopping ??= (async () => {
        draining = true;
        snapshot = encode(); // 503 at once, before anything else (design.md: SIGTERM)
        log("info", "agent stopping", { reason });
        const bound = signal ?? AbortSignal.timeout(cfg.health.drainTimeout);
        registrationStop.abort(new DOMException("agent stopping", "AbortError"));
        await scheduler.stop();
        await registration?.stopped;
        await Promise.all([...entries.values()].map((e) => e.instance.close(bound).catch(() => {})));
        emit({ type: "agent-stop", at: clock.now(), reason });
        await uplink?.close(bound).catch((e) => log("warn", "Cannot flush the uplink", { error: String(e) }));
        await server.close(bound);
        lag.stop();
        log("info", "agent stopped", { reason });
      })();
      return stopping;
    },
  };
}
