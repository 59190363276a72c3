/** @module The agent config's `telemetry:` section (docs/telemetry.md lists every field). */
import { z } from "zod";
import { boundedDuration, byteSize } from "../common/duration.ts";

export const spoolSchema = z.strictObject({
  /** Directory of the spool's segment files and ack pointer. @default "/var/lib/edgeprobe/spool" */
  dir: z.string().min(1).default("/var/lib/edgeprobe/spool"),
  /** Bound on the spool's total size; the oldest segment goes when a new record would exceed it. @default 64MiB */
  maxBytes: byteSize.default(64 * 1024 * 1024).refine((v) => v >= 64 * 1024, "the spool needs at least 64KiB"),
  /** Size at which a segment file is closed and a new one started. @default maxBytes/16, at most 4MiB */
  segmentBytes: byteSize.optional(),
  /** fsync every append: survives power loss, not just a process crash; costs a disk flush per record. @default false */
  fsync: z.boolean().default(false),
});

export const telemetrySchema = z.strictObject({
  /**
   * The collector's base URL. `http://` = HTTP/1.1 with keep-alive (one persistent connection),
   * `https://` = TLS (the runtime's fetch negotiates h2 or http/1.1 by ALPN). Ingest goes to
   * `<collector>/api/v1/ingest`.
   */
  collector: z.url({ protocol: /^https?$/ }),
  /**
   * "http/1.1": fetch with keep-alive. "h2": one node:http2 session; over `http://` that is h2c
   * with prior knowledge (RFC 9113 §3.3), over `https://` h2 by ALPN. @default "http/1.1"
   */
  transport: z.enum(["http/1.1", "h2"]).default("http/1.1"),
  /**
   * More collectors of the same fleet (a JetStream-backed scale-out, docs/scale-out.md). After a
   * failed send the uplink moves to the next URL of `[collector, ...failover]`, round robin, and
   * stays there while it answers. They must share their store: the ack comes from it.
   * @default []
   */
  failover: z.array(z.url({ protocol: /^https?$/ })).default([]),
  /**
   * Revertive failover: after this long on a `failover` collector the uplink tries `collector`
   * again before its next send (and moves on as before if that fails). Without it, agents that
   * left the primary in an outage stay spread over the others for good, which defeats a cluster
   * of one member and standbys (docs/scale-out.md `store.consume`). Zero keeps the non-revertive
   * behaviour (`0s`). @default 5m
   */
  failback: boundedDuration({ min: 0, max: 86_400_000 }).default(300_000),
  /**
   * Ingest steering: a JetStream collector's accepted answer may name (header `Edgeprobe-Steer`)
   * the collector that consumes this agent's partition; the uplink sends there from then on if
   * that URL is `collector` or one of `failover` (compared normalised; any other is ignored), and
   * follows at most one such hint per this long, so a partition lease moving back and forth
   * cannot move agents back and forth faster (docs/telemetry.md "Steering"). `0s` ignores every
   * hint. @default 30s
   */
  steerEvery: boundedDuration({ min: 0, max: 86_400_000 }).default(30_000),
  /** Bearer token (per agent or shared), usually `${EDGEPROBE_TOKEN}`. */
  token: z.string().min(1).optional(),
  spool: spoolSchema.default({ dir: "/var/lib/edgeprobe/spool", maxBytes: 64 * 1024 * 1024, fsync: false }),
  batch: z.strictObject({
    /** Records per batch at most. @default 500 */
    maxRecords: z.number().int().min(1).max(10_000).default(500),
    /** Send a partial batch once its oldest record waited this long. 1ms to 1m. @default 1s */
    interval: boundedDuration({ min: 1, max: 60_000 }).default(1000),
  }).default({ maxRecords: 500, interval: 1000 }),
  backoff: z.strictObject({
    /** First retry delay after a failed send. @default 500ms */
    initial: boundedDuration({ min: 1, max: 3_600_000 }).default(500),
    /** Cap of the exponential backoff (full jitter below it). @default 30s */
    max: boundedDuration({ min: 1, max: 3_600_000 }).default(30_000),
  }).default({ initial: 500, max: 30_000 }),
  /** Budget of one ingest request, response included. @default 10s */
  requestTimeout: boundedDuration({ min: 1, max: 600_000 }).default(10_000),
  /** PEM files: `ca` to trust a private CA, `cert` + `key` for mTLS. Bun only (see docs/telemetry.md). */
  tls: z.strictObject({ ca: z.string().optional(), cert: z.string().optional(), key: z.string().optional() }).optional(),
});

export type TelemetryConfig = z.infer<typeof telemetrySchema>;
export type TelemetryConfigInput = z.input<typeof telemetrySchema>;
