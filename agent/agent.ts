/**
 * @module startAgent(): the composition root of the edge agent. It wires the probes
 * (agent/probe_set.ts), the verdict (agent/verdict.ts), the HTTP app (agent/http_app.ts) on the
 * agent's port (agent/serve_agent.ts), the event sinks and self-registration, and owns the few
 * mutable facts they share: the config, the verdict, draining.
 */
import { probeKinds } from "../probes/mod.ts";
import type { AgentConfig } from "./config.ts";
import type { AgentEvent, EventSink, TelemetryUplink } from "./events.ts";
import type { AgentDeps, AgentHandle } from "./agent_types.ts";
import { encodeHealthSnapshot } from "./healthz.ts";
import { createAgentApp } from "./http_app.ts";
import { monitorLoopLag } from "./loop_lag.ts";
import { probeMeta } from "./probe_meta.ts";
import { renderMetrics } from "./metrics.ts";
import { createProbeSet } from "./probe_set.ts";
import { startSelfRegistration } from "./registration.ts";
import { planReload, reloadedConfig } from "./reload_plan.ts";
import { type AgentServer, serveAgent } from "./serve_agent.ts";
import { statusView } from "./status_view.ts";
import { INITIAL_VERDICT, stepVerdict } from "./verdict.ts";

export type { AgentDeps, AgentHandle, ReloadSummary } from "./agent_types.ts";

export async function startAgent(config: AgentConfig, deps: AgentDeps): Promise<AgentHandle> {
  const { clock, log } = deps;
  const bootId = crypto.randomUUID();
  const startedAtMs = clock.now();
  let cfg = config;
  let draining = false;
  let started = false;
  let verdict = INITIAL_VERDICT;
  const reloads = { ok: 0, failed: 0 };
  const lag = monitorLoopLag(clock);
  const uplink: TelemetryUplink | undefined = cfg.telemetry && deps.createUplink ? await deps.createUplink(cfg, { bootId, log, clock }) : undefined;

  // The uplink and any extra sinks (agent/tracing.ts) get every event; none may break the loop.
  const sinks: EventSink[] = [...(uplink ? [uplink] : []), ...(deps.createSinks?.({ probeConfig: (name) => probes.config(name) }) ?? [])];
  const emit = (ev: AgentEvent) => {
    for (const sink of sinks) {
      try {
        sink.emit(ev);
      } catch (e) {
        log("warn", "Cannot hand an event to a sink", { error: String(e), event: ev.type });
      }
    }
  };

  const probes = createProbeSet(cfg.probes, { clock, net: deps.net, log, kinds: deps.kinds ?? probeKinds, random: deps.random, emit, resultEvents: sinks.length > 0, onStateChange: () => recompute() });
  // /healthz and /readyz bytes, encoded only when the verdict changes (docs/health.md).
  let server: AgentServer | undefined;
  let answers = encodeAnswers();
  function encodeAnswers() {
    return encodeHealthSnapshot({ verdict: verdict.verdict, draining, degradedStatus: cfg.health.degraded, agentId: cfg.agent.id });
  }
  function publish() {
    answers = encodeAnswers();
    server?.publish(answers);
  }
  function recompute(force = false) {
    const step = stepVerdict(verdict, probes.standings(), started);
    verdict = step.state;
    if (step.changed || force) publish();
    const a = step.announce;
    if (!a) return;
    const v = verdict.verdict;
    if (a.from !== a.to) log(a.to === "UP" ? "info" : "warn", "verdict changed", { event: "verdict-change", agent: cfg.agent.id, from: a.from, to: a.to, down: v.downCauses, degraded: v.degradedCauses });
    emit({ type: "verdict-change", at: clock.now(), ...a });
  }
  recompute();

  const identity = () => ({ ...cfg.agent, version: deps.version, runtime: deps.runtime, target: deps.target, bootId, startedAtMs });
  const status = () => statusView({ agent: identity(), verdict: verdict.verdict, draining, probes: probes.views(), uplink: uplink?.stats() });
  const app = createAgentApp({
    snapshot: () => answers,
    loopLag: () => ({ ms: lag.lagMs(), maxMs: cfg.health.maxEventLoopLag }),
    status,
    metrics: () => {
      const mem = process.memoryUsage();
      const cpu = process.cpuUsage();
      return renderMetrics({
        agentId: cfg.agent.id, version: deps.version, runtime: deps.runtime, target: deps.target, startedAtMs,
        probes: probes.views().map((p) => ({ kind: p.state.config.kind, ...p })),
        verdict: verdict.verdict, draining, connections: server?.connections() ?? 0, eventLoopLagMs: lag.lagMs(), reloads,
        uplinkText: (uplink?.metrics() ?? "") + (deps.extraMetrics?.() ?? ""), memory: { rss: mem.rss, heapUsed: mem.heapUsed }, cpuSeconds: (cpu.user + cpu.system) / 1e6,
      });
    },
    log,
  });
  const srv = server = await serveAgent({ server: cfg.server, readFile: deps.readFile, fetch: app.fetch, snapshot: answers, log });

  probes.start();
  emit({ type: "agent-start", at: startedAtMs, version: deps.version, probes: probeMeta(cfg.probes) });
  started = true;
  const summary = () => ({ status: draining ? "DRAINING" : verdict.verdict.status, down: verdict.verdict.downCauses, degraded: verdict.verdict.degradedCauses, labels: cfg.agent.labels, bootId, version: deps.version });
  const registration = startSelfRegistration(cfg, summary, log);
  log("info", "agent started", { agent: cfg.agent.id, listen: `${srv.hostname}:${srv.port}`, probes: probes.size(), bootId, runtime: deps.runtime });

  let stopping: Promise<void> | undefined;
  return {
    hostname: srv.hostname,
    port: srv.port,
    bootId,
    verdict: () => verdict.verdict,
    status,
    reloadFailed: () => void reloads.failed++,
    async reload(next) {
      const plan = planReload(cfg, next);
      await probes.apply(plan);
      cfg = reloadedConfig(cfg, next);
      reloads.ok++;
      recompute(true); // health.degraded or the agent id may have changed the answers
      const changed = plan.changed.map((c) => c.config.name);
      const summary = { added: plan.added.map((p) => p.name), removed: [...plan.removed], changed, kept: [...plan.kept], restartNeeded: [...plan.restartNeeded] };
      log("info", "config reloaded", { event: "config-reload", ...summary });
      if (summary.restartNeeded.length) log("warn", "some changes take effect only after a restart", { sections: summary.restartNeeded });
      emit({ type: "config-reload", at: clock.now(), added: summary.added, removed: summary.removed, changed, probes: probeMeta(cfg.probes) });
      return summary;
    },
    stop(reason, signal) {
      stopping ??= (async () => {
        draining = true;
        publish(); // 503 at once, before anything else (design.md: SIGTERM)
        log("info", "agent stopping", { reason });
        const bound = signal ?? AbortSignal.timeout(cfg.health.drainTimeout);
        await Promise.all([registration.stop(), probes.stop(bound)]);
        emit({ type: "agent-stop", at: clock.now(), reason });
        await uplink?.close(bound).catch((e) => log("warn", "Cannot flush the uplink", { error: String(e) }));
        await srv.close(bound);
        lag.stop();
        log("info", "agent stopped", { reason });
      })();
      return stopping;
    },
  };
}
