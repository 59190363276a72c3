/**
 * @module The running probes: one instance, one state and one scheduler loop per configured probe.
 * Every result updates the probe's state and goes out as events; a state change asks for a new
 * verdict (`onStateChange`). Reloads apply a plan made beforehand (agent/reload_plan.ts).
 */
import type { ProbeInstance, ProbeKind, ProbeResult } from "../probes/types.ts";
import type { Clock, Net } from "../runtime/types.ts";
import type { LogFn } from "../common/log.ts";
import type { ProbeConfig } from "./config.ts";
import type { AgentEvent } from "./events.ts";
import type { ProbeStanding } from "./health.ts";
import { newProbeState, type ProbeState, recordResult } from "./probe_state.ts";
import type { ReloadPlan } from "./reload_plan.ts";
import type { StateMove } from "./verdict_tally.ts";
import { createScheduler, type LoopStats } from "./scheduler.ts";

export interface ProbeSetDeps {
  readonly clock: Clock;
  readonly net: Net;
  readonly log: LogFn;
  readonly kinds: Readonly<Record<string, ProbeKind<unknown>>>;
  readonly random?: () => number;
  readonly emit: (event: AgentEvent) => void;
  /**
   * Someone takes `probe-result` events (the uplink, tracing). When nobody does (no `telemetry`,
   * no `otel`), none is built: one object fewer per run. @default true
   */
  readonly resultEvents?: boolean;
  /** A probe's health state changed: the verdict may have (agent/verdict_tally.ts counts it in O(1)). */
  readonly onStateChange: (move: StateMove) => void;
}

export interface ProbeSet {
  /** Start the loops of every probe (after the first verdict is in place). */
  start(): void;
  standings(): ProbeStanding[];
  /** For /status and /metrics, in the configured order. */
  views(): Array<{ readonly state: ProbeState; readonly loop?: LoopStats }>;
  config(name: string): ProbeConfig | undefined;
  size(): number;
  apply(plan: ReloadPlan): Promise<void>;
  /** Stop every loop (in-flight runs are aborted), then close every instance within the signal. */
  stop(signal: AbortSignal): Promise<void>;
}

/**
 * How long the runs that fall due together may start back to back before the server gets a turn
 * (agent/scheduler.ts `turnBudgetMs`). 0.1 ms, about two TCP starts a turn: a few % less CPU per
 * probe than a turn per run (1-9 % in three sets, 6.5 % in another), and a lower /healthz p99
 * with 1,000 probes at fixed request rates in the runs that measured both (docs/benchmarks.md
 * "The probe path, sixth pass"); a TLS start still gets a turn of its own.
 */
const TURN_BUDGET_MS = 0.1;

interface Entry {
  state: ProbeState;
  instance: ProbeInstance;
}

export function createProbeSet(probes: readonly ProbeConfig[], deps: ProbeSetDeps): ProbeSet {
  const { clock, log, emit } = deps;
  const resultEvents = deps.resultEvents ?? true;
  const entries = new Map<string, Entry>();
  const scheduler = createScheduler({
    clock,
    random: deps.random,
    spread: true,
    turnBudgetMs: TURN_BUDGET_MS,
    onResult(name, result) {
      const e = entries.get(name);
      if (e) onResult(e, result);
    },
  });

  function onResult(e: Entry, result: ProbeResult) {
    const s = e.state;
    const prev = recordResult(s, result);
    if (resultEvents) emit({ type: "probe-result", probe: s.config.name, kind: s.config.kind, result });
    if (result.events) {
      for (const ev of result.events) {
        if (ev.type === "peer-restart") {
          log("warn", "peer restart detected", { event: "peer-restart", probe: s.config.name, ...ev.detail });
          emit({ type: "peer-restart", at: result.startedAt, probe: s.config.name, detail: ev.detail });
        } else {
          log("info", "probe event", { event: ev.type, probe: s.config.name, ...ev.detail });
        }
      }
    }
    // A kind may ask for another interval (SBI NRF heartBeatTimer, TS 29.510 §5.2.2.3.2).
    const adopted = result.facts?.adoptedIntervalMs;
    if (typeof adopted === "number" && adopted > 0) scheduler.setInterval(s.config.name, adopted);
    if (prev.state !== s.health.state) {
      log("info", "probe state changed", { event: "state-change", probe: s.config.name, from: prev.state, to: s.health.state, failure: result.failure?.kind });
      emit({ type: "state-change", at: result.startedAt, probe: s.config.name, from: prev.state, to: s.health.state });
      deps.onStateChange({ name: s.config.name, critical: s.config.critical, from: prev.state, to: s.health.state });
    }
  }

  function createEntry(p: ProbeConfig, keep?: ProbeState): Entry {
    const instance = deps.kinds[p.kind].create({
      name: p.name,
      target: p.target,
      intervalMs: p.interval,
      timeoutMs: p.timeout,
      sourceAddress: p.sourceAddress,
      options: p.options,
    }, { net: deps.net, now: () => clock.now(), log: (level, msg, fields) => log(level, msg, { probe: p.name, ...fields }) });
    const state = keep ?? newProbeState(p);
    state.config = p;
    return { state, instance };
  }

  function schedule(e: Entry) {
    const p = e.state.config;
    scheduler.add({ name: p.name, intervalMs: p.interval, timeoutMs: p.timeout, jitter: p.jitter, instance: e.instance });
  }

  async function retire(name: string, e: Entry) {
    await scheduler.remove(name);
    await e.instance.close(AbortSignal.timeout(2000)).catch(() => {});
  }

  for (const p of probes) entries.set(p.name, createEntry(p));

  return {
    start() {
      for (const e of entries.values()) schedule(e);
    },
    standings: () => [...entries.values()].map((e) => ({ name: e.state.config.name, critical: e.state.config.critical, state: e.state.health.state })),
    views: () => [...entries.values()].map((e) => ({ state: e.state, loop: scheduler.stats(e.state.config.name) })),
    config: (name) => entries.get(name)?.state.config,
    size: () => entries.size,
    async apply(plan) {
      for (const name of plan.removed) {
        const e = entries.get(name);
        entries.delete(name);
        if (e) await retire(name, e);
      }
      for (const { config, keepState } of plan.changed) {
        const e = entries.get(config.name);
        if (e) await retire(config.name, e);
        const ne = createEntry(config, keepState ? e?.state : undefined);
        entries.set(config.name, ne);
        schedule(ne);
      }
      for (const p of plan.added) {
        const ne = createEntry(p);
        entries.set(p.name, ne);
        schedule(ne);
      }
      // Keep the configured order for /status.
      const ordered = plan.order.map((n) => [n, entries.get(n)!] as const);
      entries.clear();
      for (const [n, e] of ordered) entries.set(n, e);
    },
    async stop(signal) {
      await scheduler.stop();
      await Promise.all([...entries.values()].map((e) => e.instance.close(signal).catch(() => {})));
    },
  };
}
