/**
 * @module The agent process's life under signals (docs/health.md "Faults"), installed before
 * anything else and never removed, so no signal ever meets the default action (exit 129 on SIGHUP):
 *
 * | signal | starting | running | draining | stopped |
 * | --- | --- | --- | --- | --- |
 * | SIGHUP | queued: one reload once started | reload (serialized) | ignored, logged | ignored |
 * | SIGTERM, SIGINT | queued: stop once started | drain within drainTimeout | the drain is cut short | ignored |
 */
import type { LogFn } from "../common/log.ts";

export type SignalName = "SIGINT" | "SIGTERM" | "SIGHUP";
export type Phase = "starting" | "running" | "draining" | "stopped";

export interface LifecycleTarget {
  reload(): Promise<void>;
  /** Drain and stop within `signal`; a second SIGTERM aborts it. */
  stop(reason: string, signal: AbortSignal): Promise<void>;
}

export interface LifecycleOptions {
  onSignal(signal: SignalName, handler: () => void): () => void;
  /** Read at each use: the logger is replaced once the config is loaded. */
  log: () => LogFn;
  /** The drain bound (health.drainTimeout); read when the stop begins. */
  drainMs: () => number;
}

export interface Lifecycle {
  readonly phase: Phase;
  /** Start-up finished: run what was queued (a stop wins over a reload). */
  started(target: LifecycleTarget): void;
  /** Start-up failed: nothing to stop. */
  failed(): void;
  /** Resolves with the reason once stopped (or start-up failed). */
  readonly done: Promise<string>;
}

export function createLifecycle(o: LifecycleOptions): Lifecycle {
  let phase: Phase = "starting";
  let target: LifecycleTarget | undefined;
  let queuedStop: SignalName | undefined;
  let queuedHup = false;
  let reloading = Promise.resolve();
  let drain: AbortController | undefined;
  let resolveDone!: (reason: string) => void;
  const done = new Promise<string>((r) => (resolveDone = r));

  const reload = () => {
    const t = target!;
    reloading = reloading.then(() => t.reload()).catch((e) => o.log()("error", "reload failed", { error: String(e) }));
  };

  const beginStop = (sig: SignalName) => {
    phase = "draining";
    drain = new AbortController();
    const bound = AbortSignal.any([drain.signal, AbortSignal.timeout(o.drainMs())]);
    // A reload in flight finishes first: stopping half-way through one leaves probes unclosed.
    reloading.then(() => target!.stop(sig, bound))
      .catch((e) => o.log()("error", "stop failed", { error: String(e) }))
      .finally(() => {
        phase = "stopped";
        resolveDone(sig);
      });
  };

  const onHup = () => {
    if (phase === "starting") {
      if (!queuedHup) o.log()("info", "SIGHUP during start-up: the reload runs once started", { event: "signal-queued", signal: "SIGHUP" });
      queuedHup = true;
    } else if (phase === "running") reload();
    else o.log()("info", `SIGHUP ignored: the agent is ${phase}`, { event: "signal-ignored", signal: "SIGHUP" });
  };
  const onStop = (sig: SignalName) => () => {
    if (phase === "starting") {
      if (!queuedStop) o.log()("info", `${sig} during start-up: stopping once started`, { event: "signal-queued", signal: sig });
      queuedStop ??= sig;
    } else if (phase === "running") beginStop(sig);
    else if (phase === "draining" && drain && !drain.signal.aborted) {
      o.log()("warn", `second ${sig} during the drain: cutting it short`, { event: "drain-shortened", signal: sig });
      drain.abort(new DOMException(`second ${sig}`, "AbortError"));
    } else o.log()("info", `${sig} ignored: the agent is ${phase}`, { event: "signal-ignored", signal: sig });
  };
  o.onSignal("SIGHUP", onHup);
  o.onSignal("SIGTERM", onStop("SIGTERM"));
  o.onSignal("SIGINT", onStop("SIGINT"));

  return {
    get phase() {
      return phase;
    },
    started(t) {
      target = t;
      phase = "running";
      if (queuedStop) beginStop(queuedStop);
      else if (queuedHup) reload();
    },
    failed() {
      phase = "stopped";
      resolveDone("start-up failed");
    },
    done,
  };
}

/** Counts of errors that escaped every handler; the process survives them (logged with stack). */
export interface ProcessFaults {
  unhandledRejections: number;
  uncaughtExceptions: number;
}

/**
 * Log and count an error that escaped: the process stays up, because health (the load balancer's
 * view) must outlive one stray promise. Exceptions inside a probe never get here: run_probe.ts
 * turns them into that probe's failure.
 */
export function recordProcessFault(faults: ProcessFaults, kind: "unhandledRejection" | "uncaughtException", error: unknown, log: LogFn): void {
  if (kind === "unhandledRejection") faults.unhandledRejections++;
  else faults.uncaughtExceptions++;
  const e = error as Error | undefined;
  log("error", kind === "unhandledRejection" ? "unhandled promise rejection; the agent goes on" : "uncaught exception; the agent goes on", {
    event: kind === "unhandledRejection" ? "unhandled-rejection" : "uncaught-exception",
    error: String(e?.message ?? error),
    stack: typeof e?.stack === "string" ? e.stack : undefined,
  });
}

/** Prometheus lines for /metrics. */
export function renderProcessFaults(f: ProcessFaults): string {
  return [
    "# HELP edgeprobe_unhandled_rejections_total Promise rejections no handler caught (logged with stack; the agent goes on).",
    "# TYPE edgeprobe_unhandled_rejections_total counter",
    `edgeprobe_unhandled_rejections_total ${f.unhandledRejections}`,
    "# HELP edgeprobe_uncaught_exceptions_total Exceptions outside a probe that no handler caught (logged with stack; the agent goes on).",
    "# TYPE edgeprobe_uncaught_exceptions_total counter",
    `edgeprobe_uncaught_exceptions_total ${f.uncaughtExceptions}`,
  ].join("\n") + "\n";
}
