/**
 * @module `edgeprobe collector --config FILE`: the collector's YAML/JSON config and its zod schema.
 * docs/telemetry.md lists every field with its default.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { expandEnv } from "../common/expand_env.ts";
import { otelConfigSchema } from "../common/otel_config.ts";
import { byteSize, duration } from "../common/duration.ts";
import { formatIssues } from "../common/zod_issues.ts";

/** "host:port", "[v6]:port" or ":port" (all interfaces); port 0 = any free port. */
export function parseListen(text: string): { hostname: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { hostname: m[1] ?? (m[2] || "0.0.0.0"), port };
}

const listen = z.string().transform((v, ctx) => {
  const l = parseListen(v);
  if (!l) {
    ctx.addIssue({ code: "custom", message: `expected host:port such as 0.0.0.0:9400, got ${JSON.stringify(v)}`, input: v });
    return z.NEVER;
  }
  return l;
});

export const sqliteStoreSchema = z.strictObject({
  kind: z.literal("sqlite"),
  /** SQLite file (WAL mode; -wal and -shm files beside it). @default "/var/lib/edgeprobe/collector.db" */
  path: z.string().min(1).default("/var/lib/edgeprobe/collector.db"),
  /** Keep every record verbatim (one row per batch). @default true */
  raw: z.boolean().default(true),
  /** "normal" survives a process crash; "full" also power loss (fsync per batch). @default "normal" */
  synchronous: z.enum(["normal", "full"]).default("normal"),
});

/** `nats://host:port` or `host:port` (the NATS client's own server URL forms). */
const natsServer = z.string().regex(/^(nats|tls):\/\/[^\s/]+$|^[^\s/:]+:\d{1,5}$/, "expected nats://host:port or host:port");

export const jetstreamStoreSchema = z.strictObject({
  kind: z.literal("jetstream"),
  /** NATS servers of the cluster; list several so the client fails over when one goes down. */
  servers: z.array(natsServer).min(1),
  /** Stream of accepted batches (created when missing; subjects `<subjectPrefix>.>`). @default "EDGEPROBE_TELEMETRY" */
  stream: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "stream names are letters, digits, - and _").default("EDGEPROBE_TELEMETRY"),
  /** Subject of a batch: `<subjectPrefix>.<region>.<agentId>`. @default "edgeprobe.telemetry" */
  subjectPrefix: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, "dot-separated tokens of letters, digits, - and _").default("edgeprobe.telemetry"),
  /** Key-value bucket of the shared stream acks (`ack.*`) and latest probe states (`state.*`). @default "edgeprobe" */
  bucket: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "bucket names are letters, digits, - and _").default("edgeprobe"),
  /** JetStream replicas of the stream and the bucket (3 survives the loss of one server). @default 1 */
  replicas: z.number().int().min(1).max(5).default(1),
  /** Agent label that names the region in the subject; agents without it go to region "_". @default "region" */
  regionLabel: z.string().min(1).default("region"),
  /**
   * This collector's local read model (an SQLite file fed from the stream). ":memory:" replays the
   * stream at each start; a file resumes where it stopped. @default ":memory:"
   */
  readModel: z.string().min(1).default(":memory:"),
  /** Keep raw batches in the read model too (the stream already keeps them for retention.raw). @default false */
  raw: z.boolean().default(false),
  /**
   * How often the latest state per (agent, probe) is written to the bucket: updates in between are
   * coalesced. 0 = before each ack (one key-value write per probe per batch). @default 1s
   */
  stateEvery: duration.default(1000),
  /** Budget of one NATS request (connect, publish, key-value operation). @default 5s */
  timeout: duration.default(5000),
  /** NATS credentials, when the servers require them. */
  auth: z.union([
    z.strictObject({ token: z.string().min(1) }),
    z.strictObject({ user: z.string().min(1), pass: z.string().min(1) }),
  ]).optional(),
});

export const collectorConfigSchema = z.strictObject({
  /** Address of the ingest endpoint, fleet API, SSE and /metrics. @default "0.0.0.0:9400" */
  listen: listen.default({ hostname: "0.0.0.0", port: 9400 }),
  /**
   * A second port for h2c (HTTP/2 cleartext, prior knowledge) through node:http2, for uplinks with
   * `transport: h2` when the collector runs on Bun (Bun.serve is HTTP/1.1 only). Under Deno the
   * main `listen` port accepts h2c already. @default none
   */
  h2cListen: listen.optional(),
  auth: z.strictObject({
    /** Per-agent bearer tokens: agentId → token. A token only admits batches of its own agentId. */
    tokens: z.record(z.string().min(1), z.string().min(16, "tokens need at least 16 characters")).default({}),
    /** One token for every agent id (simpler, weaker). */
    sharedToken: z.string().min(16, "tokens need at least 16 characters").optional(),
  }).refine((a) => Object.keys(a.tokens).length > 0 || a.sharedToken !== undefined, "set auth.tokens or auth.sharedToken: the collector never accepts unauthenticated agents"),
  /**
   * Where batches and the fleet state live. `kind: sqlite` (the default, also when `kind` is
   * omitted) is one embedded file; `kind: jetstream` shares state between several collectors
   * through NATS JetStream (docs/scale-out.md).
   */
  store: z.preprocess(
    (v) => (v && typeof v === "object" && !Array.isArray(v) && !("kind" in v) ? { kind: "sqlite", ...v } : v),
    z.discriminatedUnion("kind", [sqliteStoreSchema, jetstreamStoreSchema]),
  ).default({ kind: "sqlite", path: "/var/lib/edgeprobe/collector.db", raw: true, synchronous: "normal" }),
  retention: z.strictObject({
    /** How long raw batches are kept. @default 24h */
    raw: duration.default(24 * 3_600_000),
    /** How long minute histograms and events are kept. @default 720h (30 days) */
    history: duration.default(720 * 3_600_000),
    /** How often old data is deleted. @default 5m */
    pruneEvery: duration.default(300_000),
    /** How long hourly rollups are kept (SQLite store). @default 2160h (90 days) */
    hours: duration.default(2160 * 3_600_000),
    /** How long daily rollups are kept (SQLite store). @default 17520h (2 years) */
    days: duration.default(17520 * 3_600_000),
  }).default({ raw: 24 * 3_600_000, history: 720 * 3_600_000, pruneEvery: 300_000, hours: 2160 * 3_600_000, days: 17520 * 3_600_000 }),
  limits: z.strictObject({
    /** Largest ingest body; larger ones get 413. @default 1MiB */
    maxBodyBytes: byteSize.default(1024 * 1024),
    /** At most this many SSE clients at once; more get 503. @default 256 */
    maxSseClients: z.number().int().min(1).default(256),
    /**
     * Ingest batches being stored at once; past it a batch gets 503 with Retry-After before it
     * is read (the agent's spool keeps it). @default 512
     */
    maxIngestInFlight: z.number().int().min(1).default(512),
  }).default({ maxBodyBytes: 1024 * 1024, maxSseClients: 256, maxIngestInFlight: 512 }),
  /** A node is shown offline when nothing arrived for this long. @default 2m */
  staleAfter: duration.default(120_000),
  /** OTLP/HTTP export of the collector's own ingest metrics (docs/opentelemetry.md). */
  otel: otelConfigSchema.optional(),
  /** PEM files. With `clientCa`, agents must present a certificate signed by it (mTLS, Bun only). */
  tls: z.strictObject({ cert: z.string(), key: z.string(), clientCa: z.string().optional() }).optional(),
});

export type CollectorConfig = z.infer<typeof collectorConfigSchema>;
export type SqliteStoreConfig = z.infer<typeof sqliteStoreSchema>;
export type JetstreamStoreConfig = z.infer<typeof jetstreamStoreSchema>;

/** A config that does not validate: one sentence per problem, each with its field path. */
export class CollectorConfigError extends Error {
  readonly problems: readonly string[];
  constructor(file: string, problems: readonly string[], options?: ErrorOptions) {
    super(`Cannot load collector config ${file}:\n  ${problems.join("\n  ")}`, options);
    this.name = "CollectorConfigError";
    this.problems = problems;
  }
}

/** Validate an already parsed config object. @throws {CollectorConfigError} */
export function parseCollectorConfig(input: unknown, env: Readonly<Record<string, string | undefined>>, file = "(config)"): CollectorConfig {
  const problems: string[] = [];
  const expanded = expandEnv(input ?? {}, env, problems);
  if (problems.length > 0) throw new CollectorConfigError(file, problems);
  const r = collectorConfigSchema.safeParse(expanded);
  if (!r.success) throw new CollectorConfigError(file, formatIssues(r.error, expanded));
  return r.data;
}

/** Read and validate a YAML or JSON file. @throws {CollectorConfigError} */
export function loadCollectorConfig(file: string, env: Readonly<Record<string, string | undefined>>): CollectorConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new CollectorConfigError(file, [`cannot read the file: ${(e as Error).message}`], { cause: e });
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (e) {
    throw new CollectorConfigError(file, [`not valid YAML: ${(e as Error).message.split("\n")[0]}`], { cause: e });
  }
  return parseCollectorConfig(parsed, env, file);
}
