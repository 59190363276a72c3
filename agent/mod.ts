/**
 * @module The edge agent: config, scheduler, health verdict, `/healthz`, metrics, telemetry
 * uplink (docs/architecture.md). The command line starts it through the files below.
 *
 * uplink.ts and tracing.ts are loaded lazily by the CLI (only with `telemetry:` or `otel:`), so
 * import the file you need rather than this module.
 */
export { type AgentDeps, type AgentHandle, type ReloadSummary, startAgent } from "./agent.ts";
export { type AgentView, AGENT_PATHS, createAgentApp } from "./http_app.ts";
export { planReload, type ReloadPlan } from "./reload_plan.ts";
export { stepVerdict, type VerdictState } from "./verdict.ts";
export { type AgentConfig, type AgentConfigInput, agentConfigSchema, ConfigError, type ParseContext, parseAgentConfig, type ProbeConfig, probeConfigSchema } from "./config.ts";
export { type ConfigFile, duplicateKeyProblems, readConfigFile, readConfigFileFast } from "./load_config.ts";
export { parseConfigText } from "./strict_yaml.ts";
export type { AgentEvent, EventSink, ProbeState, TelemetryUplink, Verdict } from "./events.ts";
export { aggregate, INITIAL_HEALTH, nextProbeHealth, type ProbeHealth } from "./health.ts";
export { createTracingSink, type TracingSinkOptions } from "./tracing.ts";
export { createUplink, type Uplink, type UplinkDeps, type UplinkStats } from "./uplink.ts";
export { renderUplinkMetrics } from "./uplink_metrics.ts";
