/**
 * @module The telemetry record model shared by agent and collector, with its zod schemas.
 *
 * These are the *decoded* records; telemetry/codec.ts maps them to and from the compact CBOR
 * wire form (docs/telemetry.md has the field table). Every record in a batch carries
 * (agentId, bootId, seq): agentId and bootId once per batch, seq per record.
 */
import { z } from "zod";
import { FAILURE_KINDS, PROBE_STATES, VERDICTS } from "./wire_tables.ts";

/** Record type codes on the wire (first element of every record array). */
export const RecordType = {
  probe: 1,
  state: 2,
  verdict: 3,
  "peer-restart": 4,
  "config-reload": 5,
  "spool-drop": 6,
  "agent-start": 7,
  "agent-stop": 8,
} as const;
export type RecordTypeName = keyof typeof RecordType;

/** A value a probe reports about its peer (recovery timestamp, NF status, leader id ...). */
export type FactValue = string | number | boolean;
export type Facts = Readonly<Record<string, FactValue>>;

const int = z.number().int();
const uint = int.nonnegative();
const epochMs = uint;
/**
 * Facts: a flat object of string → string | number | boolean. A custom check rather than
 * z.record(z.union(...)): measured 4x faster per record in decodeBatch (bench/telemetry.ts), and
 * facts ride on most probe records.
 */
function isFacts(v: unknown): v is Record<string, string | number | boolean> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  for (const k in v) {
    if (!Object.hasOwn(v, k)) return false;
    const x = (v as Record<string, unknown>)[k];
    if (typeof x === "string" || typeof x === "boolean" || (typeof x === "number" && Number.isFinite(x))) continue;
    return false;
  }
  return true;
}
const facts = z.custom<Record<string, string | number | boolean>>(isFacts, "facts must map names to strings, finite numbers or booleans");

export const probeRecordSchema = z.strictObject({
  type: z.literal("probe"),
  at: epochMs,
  probe: z.string().min(1),
  kind: z.string(),
  ok: z.boolean(),
  /** Latency in whole microseconds. */
  latencyUs: uint,
  failure: z.strictObject({
    kind: z.enum(FAILURE_KINDS),
    message: z.string().optional(),
    reason: z.string().optional(),
  }).optional(),
  facts: facts.optional(),
});

export const recordBodySchema = z.discriminatedUnion("type", [
  probeRecordSchema,
  z.strictObject({ type: z.literal("state"), at: epochMs, probe: z.string(), from: z.enum(PROBE_STATES), to: z.enum(PROBE_STATES) }),
  z.strictObject({ type: z.literal("verdict"), at: epochMs, from: z.enum(VERDICTS), to: z.enum(VERDICTS), causes: z.array(z.string()) }),
  z.strictObject({ type: z.literal("peer-restart"), at: epochMs, probe: z.string(), detail: facts }),
  z.strictObject({
    type: z.literal("config-reload"),
    at: epochMs,
    added: z.array(z.string()),
    removed: z.array(z.string()),
    changed: z.array(z.string()),
  }),
  z.strictObject({ type: z.literal("spool-drop"), at: epochMs, records: uint, bytes: uint }),
  z.strictObject({ type: z.literal("agent-start"), at: epochMs, version: z.string(), labels: z.record(z.string(), z.string()) }),
  z.strictObject({ type: z.literal("agent-stop"), at: epochMs, reason: z.string() }),
]);

/** One record without its sequence number (what the spool stores). */
export type RecordBody = z.infer<typeof recordBodySchema>;
export type ProbeRecord = z.infer<typeof probeRecordSchema>;
/** A record as it travels and is stored: seq is per (agentId, bootId), from 1, contiguous. */
export type TelemetryRecord = RecordBody & { readonly seq: number };

/** A batch: one (agentId, bootId) stream, records with contiguous seqs. */
export interface Batch {
  readonly agentId: string;
  readonly bootId: string;
  readonly records: readonly TelemetryRecord[];
}

export const batchHeaderSchema = z.strictObject({
  agentId: z.string().min(1).max(253),
  bootId: z.string().min(1).max(64),
});

/** The wire format version this build writes and reads. */
export const WIRE_VERSION = 1;
