/** @module Where the agent CLI finds the telemetry uplink (filled in by telemetry/). */
import type { AgentDeps } from "../agent/agent.ts";
import type { DemoDeps } from "../demo/start_demo.ts";

export interface TelemetryHooks {
  validate?: (raw: Record<string, unknown>) => string[];
  createUplink?: AgentDeps["createUplink"];
  startDemoCollector?: DemoDeps["startCollector"];
}

export const telemetryHooks: TelemetryHooks = {
  validate: () => ["telemetry: this build has no telemetry uplink yet"],
};
