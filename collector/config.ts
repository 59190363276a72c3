/**
 * @module `edgeprobe collector --config FILE`: the collector's YAML/JSON config and its zod schema.
 * docs/telemetry.md lists every field with its default.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
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
  store: z.strictObject({
    /** SQLite file (WAL mode; -wal and -shm files beside it). @default "/var/lib/edgeprobe/collector.db" */
    path: z.string().min(1).default("/var/lib/edgeprobe/collector.db"),
    /** Keep every record verbatim (one row per batch). @default true */
    raw: z.boolean().default(true),
    /** "normal" survives a process crash; "full" also power loss (fsync per batch). @default "normal" */
    synchronous: z.enum(["normal", "full"]).default("normal"),
  }).default({ path: "/var/lib/edgeprobe/collector.db", raw: true, synchronous: "normal" }),
  retention: z.strictObject({
    /** How long raw batches are kept. @default 24h */
    raw: duration.default(24 * 3_600_000),
    /** How long minute histograms and events are kept. @default 720h (30 days) */
    history: duration.default(720 * 3_600_000),
    /** How often old data is deleted. @default 5m */
    pruneEvery: duration.default(300_000),
  }).default({ raw: 24 * 3_600_000, history: 720 * 3_600_000, pruneEvery: 300_000 }),
  limits: z.strictObject({
    /** Largest ingest body; larger ones get 413. @default 1MiB */
    maxBodyBytes: byteSize.default(1024 * 1024),
    /** At most this many SSE clients at once; more get 503. @default 256 */
    maxSseClients: z.number().int().min(1).default(256),
  }).default({ maxBodyBytes: 1024 * 1024, maxSseClients: 256 }),
  /** A node is shown offline when nothing arrived for this long. @default 2m */
  staleAfter: duration.default(120_000),
  /** PEM files. With `clientCa`, agents must present a certificate signed by it (mTLS, Bun only). */
  tls: z.strictObject({ cert: z.string(), key: z.string(), clientCa: z.string().optional() }).optional(),
});

export type CollectorConfig = z.infer<typeof collectorConfigSchema>;

/** A config that does not validate: one sentence per problem, each with its field path. */
export class CollectorConfigError extends Error {
  readonly problems: readonly string[];
  constructor(file: string, problems: readonly string[], options?: ErrorOptions) {
    super(`Cannot load collector config ${file}:\n  ${problems.join("\n  ")}`, options);
    this.name = "CollectorConfigError";
    this.problems = problems;
  }
}

/** Replace `${NAME}` in every string value with the environment variable; unset ones are problems. */
export function expandEnv(value: unknown, env: Readonly<Record<string, string | undefined>>, problems: string[], path = ""): unknown {
  if (typeof value === "string") {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const v = env[name];
      if (v === undefined) {
        problems.push(`${path || "(root)"}: environment variable ${name} is not set`);
        return "";
      }
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, env, problems, `${path}[${i}]`));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandEnv(v, env, problems, path ? `${path}.${k}` : k)]));
  }
  return value;
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
