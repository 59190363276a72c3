/**
 * @module startAgent(): the composition root of the edge agent. It wires the probes
 * (agent/probe_set.ts), the verdict (agent/verdict.ts), the HTTP app (agent/http_app.ts) on the
 * agent's port (agent/serve_agent.ts), the event sinks and self-registration, and owns the few
 * mutable facts they share: the config, the verdict, draining.
 */
import { probeKinds } from "../probes/mod.ts";
import type { AgentConfig } from "./config.ts";
import type { AgentEvent, EventSink, TelemetryUplink, Verdict } from "./events.ts";
import { createAnswerPublisher } from "./answer_publisher.ts";
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
import { announces } from "./verdict.ts";
import { createVerdictTally, type StateMove } from "./verdict_tally.ts";

export type { AgentDeps, AgentHandle, ReloadSummary } from "./agent_types.ts";

/**
 * The least time between two publishes of the answers when only the probes they name changed
 * (agent/answer_publisher.ts). Measured on Bun: an answer naming 5,000 probes (145 kB) costs
 * 0.3 ms to encode and hand to the port, so at most ~0.3 % of a core however long the burst; the
 * status a load balancer acts on is never delayed (docs/health.md "A mass state change").
 */
const ANSWER_MIN_GAP_MS = 100;

export async function startAgent(config: AgentConfig, deps: AgentDeps): Promise<AgentHandle> {
  const { clock, log } = deps;
  const bootId = crypto.randomUUID();
  const startedAtMs = clock.now();
  let cfg = config;
  let draining = false;
  let started = false;
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

  const probes = createProbeSet(cfg.probes, { clock, net: deps.net, log, kinds: deps.kinds ?? probeKinds, random: deps.random, emit, resultEvents: sinks.length > 0, onStateChange: (m) => moved(m) });
  // The verdict follows the probes' state changes in O(1) each (agent/verdict_tally.ts).
  const tally = createVerdictTally(probes.standings());
  // What the published answers say a load balancer should do, and the last status stepped to.
  let shown = { status: tally.status(), criticalKnown: tally.criticalKnown() };
  let lastStatus: Verdict = "UP";
  let announced = false;
  // /healthz and /readyz bytes, encoded only when the verdict changes (docs/health.md).
  let server: AgentServer | undefined;
  let answers = encodeAnswers();
  function encodeAnswers() {
    return encodeHealthSnapshot({ verdict: tally.verdict(), draining, degradedStatus: cfg.health.degraded, agentId: cfg.agent.id });
  }
  function publish() {
    answers = encodeAnswers();
    deps.onPublish?.(answers);
    server?.publish(answers);
  }
  const publisher = createAnswerPublisher({ clock, minGapMs: ANSWER_MIN_GAP_MS, publish });
  function moved(m: StateMove) {
    stepped(tally.move(m));
  }
  /**
   * After the tally changed: what a load balancer acts on is published at once, a change of the
   * named probes only soon; a status change is announced at once, every one (docs/health.md).
   */
  function stepped(namesMoved: boolean, force = false) {
    const next = { status: tally.status(), criticalKnown: tally.criticalKnown() };
    if (force || next.status !== shown.status || next.criticalKnown !== shown.criticalKnown) {
      shown = next;
      publisher.now();
    } else if (namesMoved) publisher.soon();
    const from = lastStatus;
    lastStatus = next.status;
    if (!announces(from, announced, next, started)) return;
    announced = true;
    const v = tally.verdict();
    if (from !== next.status) log(next.status === "UP" ? "info" : "warn", "verdict changed", { event: "verdict-change", agent: cfg.agent.id, from, to: next.status, down: v.downCauses, degraded: v.degradedCauses });
    emit({ type: "verdict-change", at: clock.now(), from, to: next.status, causes: [...v.downCauses, ...v.degradedCauses] });
  }
  /** Start over from every probe's standing (a reload added, removed or changed probes). */
  function recount(force: boolean) {
    tally.reset(probes.standings());
    stepped(false, force);
  }
  recount(false);

  const identity = () => ({ ...cfg.agent, version: deps.version, runtime: deps.runtime, target: deps.target, bootId, startedAtMs });
  const status = () => statusView({ agent: identity(), verdict: tally.verdict(), draining, probes: probes.views(), uplink: uplink?.stats() });
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
        verdict: tally.verdict(), draining, connections: server?.connections() ?? 0, eventLoopLagMs: lag.lagMs(), reloads,
        uplinkText: (uplink?.metrics() ?? "") + (deps.extraMetrics?.() ?? ""), memory: { rss: mem.rss, heapUsed: mem.heapUsed }, cpuSeconds: (cpu.user + cpu.system) / 1e6,
      });
    },
    log,
  });
  const srv = server = await serveAgent({ server: cfg.server, readFile: deps.readFile, fetch: app.fetch, snapshot: answers, log });

  probes.start();
  emit({ type: "agent-start", at: startedAtMs, version: deps.version, probes: probeMeta(cfg.probes) });
  started = true;
  const summary = () => ({ status: draining ? "DRAINING" : tally.status(), down: tally.verdict().downCauses, degraded: tally.verdict().degradedCauses, labels: cfg.agent.labels, bootId, version: deps.version });
  const registration = startSelfRegistration(cfg, summary, log);
  log("info", "agent started", { agent: cfg.agent.id, listen: `${srv.hostname}:${srv.port}`, probes: probes.size(), bootId, runtime: deps.runtime });

  let stopping: Promise<void> | undefined;
  return {
    hostname: srv.hostname,
    port: srv.port,
    bootId,
    verdict: () => tally.verdict(),
    status,
    reloadFailed: () => void reloads.failed++,
    async reload(next) {
      const plan = planReload(cfg, next);
      await probes.apply(plan);
      cfg = reloadedConfig(cfg, next);
      reloads.ok++;
      recount(true); // health.degraded or the agent id may have changed the answers
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
        publisher.now(); // 503 at once, before anything else (design.md: SIGTERM)
        log("info", "agent stopping", { reason });
        const bound = signal ?? AbortSignal.timeout(cfg.health.drainTimeout);
        await Promise.all([registration.stop(), probes.stop(bound)]);
        emit({ type: "agent-stop", at: clock.now(), reason });
        await uplink?.close(bound).catch((e) => log("warn", "Cannot flush the uplink", { error: String(e) }));
        await srv.close(bound);
        lag.stop();
        publisher.stop();
        log("info", "agent stopped", { reason });
      })();
      return stopping;
    },
  };
}
