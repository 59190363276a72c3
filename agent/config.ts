/**
 * @module The agent config (design.md "Agent config"): YAML or JSON, validated with zod.
 * Unknown keys are errors; every error names its field path and the offending value; `${VAR}`
 * comes from the environment and an unset variable is an error naming it.
 */
import { z } from "zod";
import { byteSize, duration } from "../common/duration.ts";
import { formatIssues } from "../common/zod_issues.ts";
import { expandEnv } from "../common/expand_env.ts";
import { parseHostPort, probeKinds, tlsOptions } from "../probes/mod.ts";
import { otelConfigSchema } from "../common/otel_config.ts";

const jitter = z.union([z.string(), z.number()]).transform((v, ctx) => {
  let frac: number | undefined;
  if (typeof v === "number") frac = v;
  else {
    const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(v);
    if (m) frac = Number(m[1]) / 100;
  }
  if (frac === undefined || !(frac >= 0 && frac <= 1)) {
    ctx.addIssue({ code: "custom", message: `expected a percentage such as 10%, got ${JSON.stringify(v)}`, input: v });
    return z.NEVER;
  }
  return frac;
});

const listen = z.string().transform((v, ctx) => {
  try {
    return parseHostPort(v, undefined, true);
  } catch (e) {
    ctx.addIssue({ code: "custom", message: `expected HOST:PORT such as 0.0.0.0:8080 (${(e as Error).message})`, input: v });
    return z.NEVER;
  }
});

const probeName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$/, "expected a name of letters, digits, _ . : - (at most 63)");

export const probeConfigSchema = z.strictObject({
  /** Unique; the key in health, telemetry and the NOC. */
  name: probeName,
  kind: z.string(),
  target: z.string().min(1, "expected a target such as 10.0.4.1:8805"),
  /** Fixed rate; a slow run never stretches it. @default 5s */
  interval: duration.default(5000),
  /** Whole-run budget, retransmissions included. @default 2s */
  timeout: duration.default(2000),
  /** Random per-cycle offset, a fraction of the interval. @default 10% */
  jitter: jitter.default(0.1),
  /** Unhealthy critical probe → DOWN; non-critical → DEGRADED. @default true */
  critical: z.boolean().default(true),
  /** Consecutive failures to become unhealthy. @default 3 */
  fall: z.number().int().min(1).max(100).default(3),
  /** Consecutive successes to become healthy again. @default 2 */
  rise: z.number().int().min(1).max(100).default(2),
  /** 3GPP interface label (N3, N4, N6, S1-U, Gx, ...), shown on /status and in telemetry. */
  interface: z.string().optional(),
  /** Local address to bind. */
  sourceAddress: z.string().optional(),
  /** Per-kind options, validated by that kind's own schema. */
  options: z.record(z.string(), z.unknown()).default({}),
});

const tlsFiles = z.strictObject({ cert: z.string(), key: z.string(), ca: z.string().optional() });

export const agentConfigSchema = z.strictObject({
  agent: z.strictObject({
    /** @default the hostname */
    id: probeName.optional(),
    labels: z.record(z.string(), z.string()).default({}),
  }).default({ labels: {} }),
  server: z.strictObject({
    /** HTTP/1.1, h2c and (with tls) h2 on one port. @default 0.0.0.0:8080 */
    listen: listen.default({ host: "0.0.0.0", port: 8080 }),
    tls: tlsFiles.optional(),
    limits: z.strictObject({
      headerTimeout: duration.default(2000),
      requestTimeout: duration.default(1000),
      idleTimeout: duration.default(30_000),
      maxConnections: z.number().int().min(1).max(1_000_000).default(1024),
      maxHeaderBytes: byteSize.default(8192),
      maxBodyBytes: byteSize.default(65536),
    }).default({ headerTimeout: 2000, requestTimeout: 1000, idleTimeout: 30_000, maxConnections: 1024, maxHeaderBytes: 8192, maxBodyBytes: 65536 }),
  }).default({
    listen: { host: "0.0.0.0", port: 8080 },
    limits: { headerTimeout: 2000, requestTimeout: 1000, idleTimeout: 30_000, maxConnections: 1024, maxHeaderBytes: 8192, maxBodyBytes: 65536 },
  }),
  health: z.strictObject({
    /** What /healthz answers while DEGRADED: 200 or 503. @default 200 */
    degraded: z.union([z.literal(200), z.literal(503)]).default(200),
    /** /livez fails when the event loop lags more than this. @default 1s */
    maxEventLoopLag: duration.default(1000),
    /** On SIGTERM, how long in-flight requests may take before exit. @default 5s */
    drainTimeout: duration.default(5000),
  }).default({ degraded: 200, maxEventLoopLag: 1000, drainTimeout: 5000 }),
  probes: z.array(probeConfigSchema).default([]),
  /** Telemetry uplink (docs/telemetry.md); validated by telemetry's own schema. */
  telemetry: z.record(z.string(), z.unknown()).optional(),
  /** OTLP/HTTP export of probe spans and metrics (docs/opentelemetry.md). Absent: no export. */
  otel: otelConfigSchema.optional(),
  /** Self-registration in etcd (docs/config.md): a lease-bound key with the verdict summary. */
  registration: z.strictObject({
    etcd: z.strictObject({
      /** Client URLs of the etcd members, e.g. http://10.0.0.5:2379. */
      endpoints: z.array(z.url({ protocol: /^https?$/ })).min(1),
      /** Lease TTL; the key vanishes this long after the agent dies. @default 30s */
      ttl: duration.default(30_000).refine((ms) => ms >= 2000, "the lease TTL must be at least 2s"),
      /** @default "/edgeprobe/agents/" */
      prefix: z.string().default("/edgeprobe/agents/"),
      username: z.string().optional(),
      password: z.string().optional(),
      /** ca, cert + key (client certificate), verify, servername: as the etcd probe's `tls`. */
      tls: tlsOptions.optional(),
    }),
  }).optional(),
  log: z.strictObject({ level: z.enum(["debug", "info", "warn", "error"]).default("info") }).default({ level: "info" }),
});

export type AgentConfigInput = z.input<typeof agentConfigSchema>;
type BaseConfig = z.output<typeof agentConfigSchema>;
export type ProbeConfig = BaseConfig["probes"][number];
export interface AgentConfig extends Omit<BaseConfig, "agent"> {
  readonly agent: { readonly id: string; readonly labels: Record<string, string> };
}

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(source: string, problems: readonly string[]) {
    super(`Cannot load config ${source}: ${problems.length} problem${problems.length === 1 ? "" : "s"}\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

export interface ParseContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly hostname: string;
  /** Validates the telemetry section when telemetry is built in; returns problems. */
  readonly validateTelemetry?: (raw: Record<string, unknown>) => string[];
}

/** Validate an already-parsed document (YAML/JSON value). Throws ConfigError with every problem. */
export function parseAgentConfig(doc: unknown, source: string, ctx: ParseContext): AgentConfig {
  const problems: string[] = [];
  const expanded = expandEnv(doc ?? {}, ctx.env, problems);
  // Unset variables first: the empty strings they leave would only add confusing echoes.
  if (problems.length) throw new ConfigError(source, problems);
  const base = agentConfigSchema.safeParse(expanded);
  if (!base.success) problems.push(...formatIssues(base.error, expanded));
  if (!base.success) throw new ConfigError(source, problems);
  const cfg = base.data;
  const names = new Set<string>();
  cfg.probes.forEach((p, i) => {
    if (names.has(p.name)) problems.push(`probes[${i}].name: duplicate probe name ${JSON.stringify(p.name)}`);
    names.add(p.name);
    const kind = probeKinds[p.kind];
    if (!kind) {
      problems.push(`probes[${i}].kind: unknown kind ${JSON.stringify(p.kind)} (known: ${Object.keys(probeKinds).join(", ")})`);
      return;
    }
    const opts = kind.options.safeParse(p.options);
    if (!opts.success) problems.push(...formatIssues(opts.error, p.options, ["probes", i, "options"]));
    else (p as { options: unknown }).options = opts.data;
    if (p.timeout <= 0) problems.push(`probes[${i}].timeout: must be positive, got ${p.timeout}ms`);
  });
  if (cfg.telemetry && ctx.validateTelemetry) problems.push(...ctx.validateTelemetry(cfg.telemetry));
  if (problems.length) throw new ConfigError(source, problems);
  return { ...cfg, agent: { id: cfg.agent.id ?? ctx.hostname, labels: cfg.agent.labels } };
}
