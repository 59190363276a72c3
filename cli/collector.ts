/** @module `edgeprobe collector --config FILE`. */
import type { CommandIO } from "./io.ts";
import { parseArgs } from "./args.ts";
import { type CollectorConfig, CollectorConfigError, loadCollectorConfig } from "../collector/config.ts";
import { startCollector } from "../collector/collector.ts";
import { createLogger } from "../common/log.ts";
import type { OtelHandle } from "../common/otel_export.ts";
import { instrumentCollector } from "../collector/otel_metrics.ts";
import { detectRuntime, runtimeVersion } from "../runtime/detect.ts";
import { VERSION } from "./version.ts";
import { restoreJit } from "../runtime/jit_policy.ts";

export function collectorUsage(): string {
  return `Usage: edgeprobe collector --config FILE

Runs the central collector: telemetry ingest (POST /api/v1/ingest), the store (SQLite, or NATS
JetStream shared by several collectors), the fleet API
(/api/v1/fleet, /api/v1/nodes/:id, /api/v1/nodes/:id/probes/:name/history,
/api/v1/probes/:name/latency), server-sent events (/api/v1/events), /metrics and /healthz.

Options:
  --config FILE   collector config (YAML or JSON; fields in docs/telemetry.md, docs/scale-out.md)
  --help          this text
`;
}

export async function collectorCommand(argv: readonly string[], io: CommandIO): Promise<number> {
  // The binary starts with the agent's JIT policy; the collector's work is heavy JavaScript.
  restoreJit();
  const { flags, positionals } = parseArgs(argv);
  if (flags.help || flags.h) {
    io.out(collectorUsage());
    return 0;
  }
  const unknown = Object.keys(flags).filter((k) => k !== "config");
  if (typeof flags.config !== "string" || positionals.length > 0 || unknown.length > 0) {
    io.err(`Cannot start collector: ${unknown.length ? `unknown option --${unknown[0]}` : "expected --config FILE"}\n${collectorUsage()}`);
    return 2;
  }
  let config;
  try {
    config = loadCollectorConfig(flags.config, io.env);
  } catch (e) {
    if (e instanceof CollectorConfigError) {
      io.err(e.message + "\n");
      return 2;
    }
    throw e;
  }
  const log = createLogger((l) => io.err(l), (io.env.EDGEPROBE_LOG_LEVEL as "debug" | "info" | "warn" | "error" | undefined) ?? "info", { component: "collector" });
  const ac = new AbortController();
  const offs = (["SIGINT", "SIGTERM"] as const).map((s) => io.onSignal(s, () => ac.abort(new Error(s))));
  // SIGHUP reloads (tokens, users, limits) and never stops the collector: the default action of
  // SIGHUP is to terminate (signal(7)), so the handler is in place before anything starts.
  let running: { reload(c: CollectorConfig): { needsRestart: readonly string[] } } | undefined;
  const file = flags.config;
  offs.push(io.onSignal("SIGHUP", () => {
    try {
      const next = loadCollectorConfig(file, io.env);
      if (!running) return log("warn", "collector: SIGHUP before the collector started; ignored");
      const { needsRestart } = running.reload(next);
      log("info", "collector: config reloaded", { file, ...(needsRestart.length ? { needsRestart } : {}) });
      if (needsRestart.length) log("warn", "collector: these settings changed and take effect only after a restart", { keys: needsRestart });
    } catch (e) {
      log("error", "collector: cannot reload the config; the running config stays", { file, error: (e as Error).message });
    }
  }));
  let otel: OtelHandle | undefined;
  try {
    // Imported only when configured, as in the agent: the SDK costs time and memory to load.
    if (config.otel) {
      const { startOtel } = await import("../common/otel_export.ts");
      otel = startOtel(config.otel, {
        serviceName: "edgeprobe-collector",
        instanceId: `${config.listen.hostname}:${config.listen.port}`,
        version: VERSION,
        attributes: { "process.runtime.name": detectRuntime(), "process.runtime.description": runtimeVersion() },
        log,
      });
    }
    const c = await startCollector(config, { signal: ac.signal, log });
    running = c;
    const uninstrument = instrumentCollector(c.counters);
    io.out(`collector listening on ${c.url}\n`);
    await c.finished;
    uninstrument();
    return 0;
  } catch (e) {
    io.err(`${(e as Error).message}\n`);
    return 1;
  } finally {
    for (const off of offs) off();
    await otel?.shutdown(AbortSignal.timeout(5000));
  }
}
