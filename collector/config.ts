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
import { alarmsConfigSchema, defaultAlarmsConfig } from "./alarms/mod.ts";
import { authConfigSchema } from "./auth/auth_config.ts";

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
  /**
   * Answer history and latency reads in a thread of their own on a read-only connection, off the
   * thread that ingests and serves the fleet API (collector/sqlite/read_thread.ts). @default true
   */
  readThread: z.boolean().default(true),
});

/** `nats://host:port` or `host:port` (the NATS client's own server URL forms). */
const natsServer = z.string().regex(/^(nats|tls):\/\/[^\s/]+$|^[^\s/:]+:\d{1,5}$/, "expected nats://host:port or host:port");

export const jetstreamStoreSchema = z.strictObject({
  kind: z.literal("jetstream"),
  /** NATS servers of the cluster; list several so the client fails over when one goes down. */
  servers: z.array(natsServer).min(1),
  /** Stream of accepted batches (created when missing; subjects `<subjectPrefix>.>`). @default "EDGEPROBE_TELEMETRY" */
  stream: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "stream names are letters, digits, - and _").default("EDGEPROBE_TELEMETRY"),
  /** Subject of a batch: `<subjectPrefix>.<partition>.<region>.<agentId>`. @default "edgeprobe.telemetry" */
  subjectPrefix: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, "dot-separated tokens of letters, digits, - and _").default("edgeprobe.telemetry"),
  /** Key-value bucket of the shared acks (`ack.*`) and nodes (`node.*`); leases go to `<bucket>_leases`. @default "edgeprobe" */
  bucket: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "bucket names are letters, digits, - and _").default("edgeprobe"),
  /** JetStream replicas of the stream and the bucket (3 survives the loss of one server). @default 1 */
  replicas: z.number().int().min(1).max(5).default(1),
  /** Agent label that names the region in the subject; agents without it go to region "_". @default "region" */
  regionLabel: z.string().min(1).default("region"),
  /**
   * This collector's local read model of the partitions it owns (an SQLite file fed from the
   * stream). ":memory:" = a temporary file removed at exit (a partition is replayed from the stream
   * when taken); a file resumes where it stopped. @default ":memory:"
   */
  readModel: z.string().min(1).default(":memory:"),
  /** Keep raw batches in the read model too (the stream already keeps them for retention.raw). @default false */
  raw: z.boolean().default(false),
  /**
   * How often the owner of a partition writes its changed nodes (`node.<agent>`) to the bucket:
   * changes in between are coalesced, so every collector's view lags by about this. @default 250ms
   */
  stateEvery: duration.default(250),
  /**
   * Most time between two writes of a node whose only change is new results (last result, totals,
   * lastSeen): what every collector's view shows of those is at most this plus `stateEvery` old
   * (states, verdicts, events and boots follow within `stateEvery`). An owner with nothing left to
   * apply writes them at once. @default 15s (three of the simulator's 5 s batch intervals)
   */
  routineEvery: duration.optional(),
  /**
   * Partitions of the agents (subjects `<subjectPrefix>.<partition>.<region>.<agent>`); each is
   * consumed by one collector at a time. Every collector of a fleet must use the same number, and
   * changing it needs a new stream. @default 16
   */
  partitions: z.number().int().min(1).max(1024).default(16),
  /**
   * Whether this collector consumes partitions. true: a lease member, the partitions split among
   * the members. "standby": not a member; it takes every partition while no member is alive (a
   * dead one's leases expired: within `leaseTtl` plus a tick) and hands them back once one is.
   * false: never (it still ingests and answers every fleet API call and SSE). A collector that is
   * busy at all costs a fixed share of a core, so at light load fewer consuming collectors cost
   * less per record (docs/scale-out.md, "Sixth pass"). @default true
   */
  consume: z.union([z.boolean(), z.literal("standby")]).default(true),
  /**
   * How the lease members share the partitions. "spread": every member takes
   * ceil(partitions / members). "pack": the fewest members that keep up take them (the first in id
   * order), more as their load grows, fewer after it fell for `pack.dwell`; each member reports its
   * process CPU and consumer lag in its lease entry (collector/lease_policy.ts, docs/scale-out.md
   * "Seventh pass"). A busy collector costs a fixed share of a core, so at light load packing costs
   * less per record. @default "spread"
   */
  balance: z.enum(["spread", "pack"]).default("spread"),
  /** Water marks and dwell of `balance: pack`. */
  pack: z.strictObject({
    /** An active member at this CPU (a fraction of the core, or of its cgroup's quota) or behind: add members at once. @default 0.65 */
    high: z.number().gt(0).max(4).default(0.65),
    /** The load must fit into one member fewer under this for `dwell` to drop one. @default 0.4 */
    low: z.number().gt(0).max(4).default(0.4),
    /** How long the load must fit, and how long since the last change, before a member is dropped. @default 30s */
    dwell: duration.default(30_000),
  }).refine((p) => p.low < p.high, "pack.low must be below pack.high").optional(),
  /** A dead collector's partitions are taken over after this (lease TTL) plus one tick (TTL/4). @default 4s */
  leaseTtl: duration.refine((v) => v >= 1000, "leaseTtl must be at least 1s").default(4000),
  /** Lifetime of `ack.*` and `node.*` entries not rewritten. @default retention.history */
  keyTtl: duration.optional(),
  /**
   * The base URL agents reach this collector by (what they list in `telemetry.collector` or
   * `telemetry.failover`). Set, it is written into this collector's leases, and an ingest answer
   * for an agent of a partition another collector holds names that one's URL (header
   * `Edgeprobe-Steer`) when it advertises one: agents then send to the collector that consumes
   * their partition (docs/scale-out.md, "Seventh pass"). Unset: this collector names no one and
   * no one names it. @default unset
   */
  advertise: z.url({ protocol: /^https?$/ }).optional(),
  /** This collector's name in the lease bucket. @default host name, process id and a random suffix */
  collectorId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "letters, digits, - and _").optional(),
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
  /** Gone: the main `listen` port answers h2c (prior knowledge) and HTTP/1.1 on both runtimes. */
  h2cListen: z.unknown().refine(() => false, "h2cListen is gone: the main listen port answers h2c (prior knowledge) and HTTP/1.1; point transport: h2 uplinks at it").optional(),
  /** Agents, users, API tokens, a trusted proxy, publicRead (collector/auth/auth_config.ts, docs/security.md). */
  auth: authConfigSchema,
  /**
   * Where batches and the fleet state live. `kind: sqlite` (the default, also when `kind` is
   * omitted) is one embedded file; `kind: jetstream` shares state between several collectors
   * through NATS JetStream (docs/scale-out.md).
   */
  store: z.preprocess(
    (v) => (v && typeof v === "object" && !Array.isArray(v) && !("kind" in v) ? { kind: "sqlite", ...v } : v),
    z.discriminatedUnion("kind", [sqliteStoreSchema, jetstreamStoreSchema]),
  ).default({ kind: "sqlite", path: "/var/lib/edgeprobe/collector.db", raw: true, synchronous: "normal", readThread: true }),
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
  })
    // An open hour or day row holds its minutes up to its `through`, written at least every
    // pruneEvery; the minutes after it are read from the minute rows, so those must outlive a
    // prune interval (docs/telemetry.md "hours and days").
    .refine((r) => r.history > r.pruneEvery, "retention.history must be longer than retention.pruneEvery")
    .default({ raw: 24 * 3_600_000, history: 720 * 3_600_000, pruneEvery: 300_000, hours: 2160 * 3_600_000, days: 17520 * 3_600_000 }),
  /** Every bound of work and state, with its default: docs/security.md. */
  limits: z.strictObject({
    /** Largest ingest body; larger ones get 413. @default 1MiB */
    maxBodyBytes: byteSize.default(1024 * 1024),
    /** At most this many SSE clients at once; more get 503. @default 256 */
    maxSseClients: z.number().int().min(1).default(256),
    /** Records in one ingest batch (decoding stops before building more). @default 10000 */
    maxRecordsPerBatch: z.number().int().min(1).max(100_000).default(10_000),
    /** Facts on one probe record, labels on agent-start. @default 64 */
    maxFactsPerRecord: z.number().int().min(1).max(4096).default(64),
    /** Characters of a failure message, fact value, label or reason. @default 1024 */
    maxStringLength: z.number().int().min(64).max(65_536).default(1024),
    /** Distinct probe names one agent may report. @default 1000 */
    maxProbesPerAgent: z.number().int().min(1).default(1000),
    /** Distinct (agent, probe) pairs in all. @default 500000 */
    maxProbes: z.number().int().min(1).default(500_000),
    /** Distinct agent ids; a new one beyond gets 403. @default 10000 */
    maxNodes: z.number().int().min(1).default(10_000),
    /** Record times further than this from the receive time are clamped to it (and counted). @default 24h */
    recordTimeWindow: duration.default(24 * 3_600_000),
    /** Longest from-to window of history and latency queries. @default 720h */
    maxQueryWindow: duration.default(720 * 3_600_000),
    /** Minute rows one history or latency query may touch (nodes × minutes). @default 100000 */
    maxQueryRows: z.number().int().min(60).default(100_000),
    /** Points in one history answer (window / step). @default 10000 */
    maxPoints: z.number().int().min(60).default(10_000),
    /** Nodes one latency query may name. @default 1000 */
    maxQueryNodes: z.number().int().min(1).default(1000),
    /** Nodes per page of /api/v1/fleet. @default 5000 */
    maxPageSize: z.number().int().min(1).default(5000),
    /** History, latency and /metrics reads at once. @default 2 */
    maxHeavyReads: z.number().int().min(1).default(2),
    /** Heavy reads waiting for one of those slots; more get 429. @default 64 */
    maxHeavyQueue: z.number().int().min(0).default(64),
    /** History, latency and /metrics reads per second per principal (bursts of twice that); more get 429. @default 50 */
    heavyReadsPerSecond: z.number().min(0.1).default(50),
    /** Read-side requests per second per principal (bursts of twice that); more get 429. @default 500 */
    requestsPerSecond: z.number().min(1).default(500),
    /** Requests being handled at once; more get 503. @default 1024 */
    maxInFlight: z.number().int().min(1).default(1024),
    /** Requests being handled at once from one address; more get 503. @default 64 */
    maxInFlightPerSource: z.number().int().min(1).default(64),
    /** A connection with no request for this long is closed (open event streams excepted; 1s-255s). @default 30s */
    idleTimeout: duration.refine((v) => v >= 1000 && v <= 255_000, "idleTimeout is 1s to 255s").default(30_000),
    /** Bytes queued to one event-stream client that does not read; beyond it the stream is closed. @default 256KiB */
    maxSseQueueBytes: byteSize.default(256 * 1024),
    /**
     * Ingest batches being stored at once; past it a batch gets 503 with Retry-After before it
     * is read (the agent's spool keeps it). @default 512
     */
    maxIngestInFlight: z.number().int().min(1).default(512),
    /**
     * Bytes of ingest bodies being read, decoded and stored at once (by Content-Length, or
     * maxBodyBytes when undeclared); past it a batch gets 503 with Retry-After before it is read.
     * One batch always passes when none is in flight. @default 64MiB
     */
    maxIngestBytesInFlight: byteSize.default(64 * 1024 * 1024),
  }).prefault({}),
  /** A node is shown offline when nothing arrived for this long. @default 2m */
  staleAfter: duration.default(120_000),
  /**
   * A node (and a boot's ack) not seen for this long is retired: removed from the fleet, its
   * probes and its acks forgotten. The fleet API shows `retiresAt` until then. @default 720h
   */
  retireAfter: duration.refine((v) => v >= 3_600_000, "retireAfter is at least 1h").default(720 * 3_600_000),
  /** The alarm list, correlation and northbound (docs/alarms.md). */
  alarms: alarmsConfigSchema.default(defaultAlarmsConfig),
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
