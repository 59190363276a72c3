/** @module What startAgent() takes and gives (agent/agent.ts). */
import type { ProbeKind } from "../probes/types.ts";
import type { Clock, Net } from "../runtime/types.ts";
import type { LogFn } from "../common/log.ts";
import type { AgentConfig, ProbeConfig } from "./config.ts";
import type { EventSink, TelemetryUplink } from "./events.ts";
import type { NodeVerdict } from "./health.ts";
import type { HealthSnapshot } from "./healthz.ts";

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
  /**
   * Called with every newly encoded pair of /healthz and /readyz answers as it goes to the port:
   * tests and bench/mass_flip.ts count the publishes a mass state change costs (docs/health.md).
   */
  readonly onPublish?: (answers: HealthSnapshot) => void;
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
