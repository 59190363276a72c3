/** @module `edgeprobe agent --config FILE`: run the edge agent until SIGTERM. */
import { hostname } from "node:os";
import { readPem } from "../common/pem.ts";
import { startAgent } from "../agent/agent.ts";
import { type AgentConfig, ConfigError, parseAgentConfig } from "../agent/config.ts";
import { type ConfigFile, duplicateKeyProblems, readConfigFile, readConfigFileFast } from "../agent/load_config.ts";
import { createLogger, type LogFn } from "../common/log.ts";
import { createLifecycle, type ProcessFaults, recordProcessFault, renderProcessFaults } from "./agent_lifecycle.ts";
import { systemClock } from "../runtime/clock.ts";
import { detectRuntime, runtimeVersion } from "../runtime/detect.ts";
import { platformNet } from "../runtime/net.ts";
import { trimMemory } from "../runtime/trim_memory.ts";
import { parseArgs } from "./args.ts";
import type { CommandIO } from "./io.ts";
import { buildTarget, VERSION } from "./version.ts";
import { telemetryHooks } from "./telemetry_hooks.ts";
import { createTracingSink } from "../agent/tracing.ts";
import { probeKinds } from "../probes/mod.ts";
import type { OtelHandle } from "../common/otel_export.ts";

export const AGENT_USAGE = `Usage: edgeprobe agent --config FILE

Runs the edge agent: probes, /healthz (HTTP/1.1, h2c and TLS on one port), telemetry uplink.
SIGHUP reloads the config (unchanged probes keep their state; during start-up it is queued,
during the drain ignored); SIGTERM or SIGINT answers 503 at once, drains within
health.drainTimeout and exits 0; a second SIGTERM cuts the drain short.

Options:
  --config FILE   agent config, YAML or JSON (docs/config.md)
  --help          this text
`;

/**
 * When to trim after start: past the first probe round (a run's timeout is at most a few
 * seconds in practice) and the first tier-up of the code that runs all the time.
 */
const TRIM_AFTER_MS = 3000;

/** Strict: duplicate keys are errors (`edgeprobe check`). */
export async function loadAgentConfig(path: string, env: CommandIO["env"]): Promise<AgentConfig> {
  const doc = await readConfigFile(path);
  return parseAgentConfig(doc, path, { env, hostname: hostname(), validateTelemetry: telemetryHooks.validate });
}

/** For start and reload: the fast parser; duplicate keys are looked for afterwards (docs/config.md). */
async function loadAgentConfigFast(path: string, env: CommandIO["env"]): Promise<{ config: AgentConfig; file: ConfigFile }> {
  const file = await readConfigFileFast(path);
  return { config: parseAgentConfig(file.doc, path, { env, hostname: hostname(), validateTelemetry: telemetryHooks.validate }), file };
}

export async function agentCommand(argv: readonly string[], io: CommandIO): Promise<number> {
  const { positionals, flags } = parseArgs(argv);
  if (flags.help || flags.h) {
    io.out(AGENT_USAGE);
    return 0;
  }
  if (typeof flags.config !== "string" || positionals.length) {
    io.err(`Cannot start agent: --config FILE is required\n${AGENT_USAGE}`);
    return 2;
  }
  const path = flags.config;
  // Before anything else (docs/health.md "Faults"): from here to exit no signal meets its default
  // action and no stray error ends the process. The logger is replaced once the config is read.
  let log: LogFn = createLogger((l) => io.err(l), "info");
  let drainMs = 5000;
  const faults: ProcessFaults = { unhandledRejections: 0, uncaughtExceptions: 0 };
  io.onProcessFault?.((kind, error) => recordProcessFault(faults, kind, error, log));
  const life = createLifecycle({ onSignal: (s, h) => io.onSignal(s, h), log: () => log, drainMs: () => drainMs });
  let config: AgentConfig;
  let file: ConfigFile;
  try {
    ({ config, file } = await loadAgentConfigFast(path, io.env));
  } catch (e) {
    io.err((e instanceof ConfigError ? e.message : `Cannot start agent: ${(e as Error).message}`) + "\n");
    life.failed();
    return 2;
  }
  log = createLogger((l) => io.err(l), config.log.level, { agent: config.agent.id });
  drainMs = config.health.drainTimeout;
  let otel: OtelHandle | undefined;
  let agent;
  try {
    // Before startAgent: the tracing sink takes its meter once, and the metrics API has no proxy.
    // Imported only when configured: the SDK costs ~0.25 s and ~20 MB to load.
    if (config.otel) {
      const { startOtel } = await import("../common/otel_export.ts");
      otel = startOtel(config.otel, {
        serviceName: "edgeprobe-agent",
        instanceId: config.agent.id,
        version: VERSION,
        labels: config.agent.labels,
        attributes: { "process.runtime.name": detectRuntime(), "process.runtime.description": runtimeVersion() },
        log,
      });
    }
    agent = await startAgent(config, {
      clock: systemClock,
      net: platformNet,
      log,
      version: VERSION,
      runtime: runtimeVersion(),
      target: buildTarget(),
      createUplink: telemetryHooks.createUplink,
      // Spans and metrics through @opentelemetry/api, only when `otel:` registered an SDK (a
      // start-only section, agent/reload_plan.ts): without one every span and point is a no-op
      // that still costs 0.1-0.6 µs and a few objects per probe run (`bench:otel`).
      createSinks: otel ? ({ probeConfig }) => [createTracingSink({ describe: probeConfig, kinds: probeKinds, version: VERSION })] : undefined,
      readFile: (p) => readPem(p),
      extraMetrics: () => renderProcessFaults(faults),
    });
  } catch (e) {
    io.err(`Cannot start agent: ${(e as Error).message}\n`);
    await otel?.shutdown(AbortSignal.timeout(1000));
    life.failed();
    return 1;
  }
  io.out(`edgeprobe agent ${config.agent.id} listening on ${agent.hostname}:${agent.port} (${detectRuntime()})\n`);
  // The strict parse costs 60-140 ms for a 200-probe config (140 in the binary, whose JavaScript
  // stays in the interpreter: docs/binary.md), so it runs once the agent serves.
  const warnDuplicates = (f: ConfigFile) =>
    setTimeout(async () => {
      const problems = await duplicateKeyProblems(f, path).catch((e) => [`Cannot look for duplicate keys: ${(e as Error).message}`]);
      if (problems.length) log("warn", "config has duplicate keys; the last of each is used (edgeprobe check refuses them)", { event: "config-duplicate-keys", problems });
    }, 200);
  warnDuplicates(file);
  // Once start-up (and the first probe round) is behind us, give back what only it needed:
  // its garbage and the executable's start-up-only pages (runtime/trim_memory.ts; measured in
  // docs/binary.md and docs/benchmarks.md). Again after each reload, which runs the config code
  // once more.
  let trimTimer: ReturnType<typeof setTimeout> | undefined;
  const trimSoon = () => {
    clearTimeout(trimTimer);
    trimTimer = setTimeout(() => {
      trimMemory().then(
        (t) => t.rssBeforeKb && log("debug", "start-up memory released", { event: "memory-trim", ...t }),
        (e) => log("warn", "Cannot release start-up memory", { error: String(e) }),
      );
    }, TRIM_AFTER_MS);
    (trimTimer as { unref?: () => void }).unref?.();
  };
  trimSoon();
  const a = agent;
  life.started({
    async reload() {
      try {
        const next = await loadAgentConfigFast(path, io.env);
        await a.reload(next.config);
        warnDuplicates(next.file);
        trimSoon();
      } catch (e) {
        a.reloadFailed();
        // The old config keeps running (docs/config.md "Reload").
        log("error", "config reload refused; keeping the running config", {
          event: "config-reload-failed",
          problems: e instanceof ConfigError ? e.problems : [String((e as Error).message)],
        });
      }
    },
    // One bound for the whole stop: drain, then the last spans and metrics (design.md SIGTERM).
    stop: (sig, bound) => {
      clearTimeout(trimTimer);
      return a.stop(sig, bound).then(() => otel?.shutdown(bound));
    },
  });
  await life.done;
  return 0;
}
