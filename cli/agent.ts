/** @module `edgeprobe agent --config FILE`: run the edge agent until SIGTERM. */
import { hostname } from "node:os";
import { readFileSync } from "node:fs";
import { startAgent } from "../agent/agent.ts";
import { type AgentConfig, ConfigError, parseAgentConfig } from "../agent/config.ts";
import { type ConfigFile, duplicateKeyProblems, readConfigFile, readConfigFileFast } from "../agent/load_config.ts";
import { createLogger } from "../common/log.ts";
import { systemClock } from "../runtime/clock.ts";
import { detectRuntime, runtimeVersion } from "../runtime/detect.ts";
import { platformNet } from "../runtime/net.ts";
import { parseArgs } from "./args.ts";
import type { CommandIO } from "./io.ts";
import { buildTarget, VERSION } from "./version.ts";
import { telemetryHooks } from "./telemetry_hooks.ts";
import { createTracingSink } from "../agent/tracing.ts";
import { probeKinds } from "../probes/mod.ts";
import type { OtelHandle } from "../common/otel_export.ts";

export const AGENT_USAGE = `Usage: edgeprobe agent --config FILE

Runs the edge agent: probes, /healthz (HTTP/1.1, h2c and TLS on one port), telemetry uplink.
SIGHUP reloads the config (unchanged probes keep their state); SIGTERM answers 503 at once,
drains and exits 0.

Options:
  --config FILE   agent config, YAML or JSON (docs/config.md)
  --help          this text
`;

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
  let config: AgentConfig;
  let file: ConfigFile;
  try {
    ({ config, file } = await loadAgentConfigFast(path, io.env));
  } catch (e) {
    io.err((e instanceof ConfigError ? e.message : `Cannot start agent: ${(e as Error).message}`) + "\n");
    return 2;
  }
  const log = createLogger((l) => io.err(l), config.log.level, { agent: config.agent.id });
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
      // Spans and metrics through @opentelemetry/api: a no-op unless `otel:` registered an SDK.
      createSinks: ({ probeConfig }) => [createTracingSink({ describe: probeConfig, kinds: probeKinds, version: VERSION })],
      readFile: (p) => readFileSync(p, "utf8"),
    });
  } catch (e) {
    io.err(`Cannot start agent: ${(e as Error).message}\n`);
    await otel?.shutdown(AbortSignal.timeout(1000));
    return 1;
  }
  io.out(`edgeprobe agent ${config.agent.id} listening on ${agent.hostname}:${agent.port} (${detectRuntime()})\n`);
  // The strict parse costs tens of ms for a large config, so it runs once the agent serves.
  const warnDuplicates = (f: ConfigFile) =>
    setTimeout(() => {
      const problems = duplicateKeyProblems(f, path);
      if (problems.length) log("warn", "config has duplicate keys; the last of each is used (edgeprobe check refuses them)", { event: "config-duplicate-keys", problems });
    }, 200);
  warnDuplicates(file);
  const a = agent;
  await new Promise<void>((resolve) => {
    let reloading = Promise.resolve();
    const offHup = io.onSignal("SIGHUP", () => {
      reloading = reloading.then(async () => {
        try {
          const next = await loadAgentConfigFast(path, io.env);
          await a.reload(next.config);
          warnDuplicates(next.file);
        } catch (e) {
          a.reloadFailed();
          // The old config keeps running (issue 2, item 7).
          log("error", "config reload refused; keeping the running config", {
            event: "config-reload-failed",
            problems: e instanceof ConfigError ? e.problems : [String((e as Error).message)],
          });
        }
      });
    });
    const stop = (sig: string) => () => {
      offHup();
      offTerm();
      offInt();
      // One bound for the whole stop: drain, then the last spans and metrics (design.md SIGTERM).
      const bound = AbortSignal.timeout(config.health.drainTimeout);
      a.stop(sig, bound)
        .then(() => otel?.shutdown(bound))
        .then(resolve, resolve);
    };
    const offTerm = io.onSignal("SIGTERM", stop("SIGTERM"));
    const offInt = io.onSignal("SIGINT", stop("SIGINT"));
  });
  return 0;
}
