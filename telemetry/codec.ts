/**
 * @module Telemetry wire format v1: CBOR batches and single spool records (docs/telemetry.md).
 *
 * The only file that imports cbor-x (scripts/check_boundaries.ts). A batch is one CBOR array
 *
 *     [version=1, agentId, bootId, baseSeq, baseTime, strings[], records[]]
 *
 * and every record is a short array whose first element is its type code. Strings that repeat
 * (probe names, kinds, fact keys, failure messages) are written once per batch in `strings` and
 * referenced by index; times are deltas in ms from the previous record; seq is implicit
 * (baseSeq + position). That keeps a probe record near 10 bytes (the goal is ≤ 24 B).
 */
// "cbor-x/encode" resolves to the pure-JS index.js: the default node entry loads the optional
// native cbor-extract addon, which aborts Bun 1.4.5 and Deno 2.9.6 (symbol lookup error) here.
import { Decoder, Encoder } from "cbor-x/encode";
import { DecodeError } from "../common/decode_error.ts";
import { scanCbor } from "./cbor_scan.ts";
import { decodeProbeBatch } from "./batch_fast_decode.ts";
import type { StringIntern } from "./string_intern.ts";
import {
  type Batch,
  batchHeaderSchema,
  type Facts,
  type ProbeMeta,
  type RecordBody,
  recordBodySchema,
  RecordType,
  type RecordTypeName,
  type TelemetryRecord,
  WIRE_VERSION,
} from "./record.ts";
import {
  type FailureKind,
  PROBE_STATE_BY_CODE,
  PROBE_STATE_CODES,
  PROBE_STATUS_BY_CODE,
  PROBE_STATUS_CODES,
  VERDICT_BY_CODE,
  VERDICT_CODES,
} from "./wire_tables.ts";

/** A batch whose version element is not one this build reads: answer 4xx, never guess. */
export class WireVersionError extends DecodeError {
  readonly version: unknown;
  constructor(version: unknown) {
    super("telemetry", 0, `Cannot decode telemetry batch: unknown wire version ${JSON.stringify(version)} (this build reads ${WIRE_VERSION})`);
    this.name = "WireVersionError";
    this.version = version;
  }
}

// Plain CBOR only: no cbor-x record extension (tag 105), no shared structures, so any CBOR
// decoder (cborg, cbor2) reads our bytes (RFC 8949 §3 major types 0-5 and 7 only).
const encoder = new Encoder({ useRecords: false, mapsAsObjects: true, variableMapSize: true, useFloat32: 0 });
// int64AsNumber (cbor-x option, absent from its .d.ts): uint64 items come back as numbers, not BigInt.
const decoder = new Decoder({ useRecords: false, mapsAsObjects: true, int64AsNumber: true } as ConstructorParameters<typeof Decoder>[0]);

/**
 * cbor-x writes integers beyond 32 bits as float64; a BigInt makes it write a CBOR uint64/nint
 * (RFC 8949 §3.1 major types 0/1), which is what any decoder expects for epoch milliseconds.
 */
function n(v: number): number | bigint {
  return v > 0xffffffff || v < -0x100000000 ? (Number.isSafeInteger(v) ? BigInt(v) : v) : v;
}

const TYPE_BY_CODE: Record<number, RecordTypeName> = Object.fromEntries(
  Object.entries(RecordType).map(([name, code]) => [code, name as RecordTypeName]),
);

type Ref = number | string;
type Wire = unknown[];

function fail(what: string, why: string): never {
  throw new DecodeError("telemetry", 0, `Cannot decode telemetry ${what}: ${why}`);
}

function factsEqual(a: Facts, b: Facts): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}

/** Build the wire tuple of one record. `ref` interns strings; `t` is the encoded time. */
function toWire(r: RecordBody, t: number, ref: (s: string) => Ref, lastFacts?: Map<string, Facts>): Wire {
  const factsWire = (f: Facts | undefined): unknown[] => {
    const out: unknown[] = [];
    if (f) for (const k of Object.keys(f)) { const v = f[k]; out.push(ref(k), typeof v === "number" ? n(v) : v); }
    return out;
  };
  switch (r.type) {
    case "probe": {
      const status = PROBE_STATUS_CODES[r.ok ? "ok" : r.failure?.kind ?? "local"];
      // Strings are interned in field order, so the table order is fixed by the field table.
      const probe = ref(r.probe), kind = ref(r.kind);
      let f: unknown = null;
      if (r.facts && Object.keys(r.facts).length > 0) {
        const prev = lastFacts?.get(r.probe);
        // `true` = the same facts as this probe's previous record in this batch (facts rarely change).
        f = prev && factsEqual(prev, r.facts) ? true : factsWire(r.facts);
        lastFacts?.set(r.probe, r.facts);
      }
      const w: Wire = [1, n(t), probe, kind, n(r.latencyUs), status, f,
        r.failure?.message === undefined ? null : ref(r.failure.message),
        r.failure?.reason === undefined ? null : ref(r.failure.reason)];
      while (w.length > 6 && w[w.length - 1] === null) w.pop();
      return w;
    }
    case "state":
      return [2, n(t), ref(r.probe), PROBE_STATE_CODES[r.from], PROBE_STATE_CODES[r.to]];
    case "verdict":
      return [3, n(t), VERDICT_CODES[r.from], VERDICT_CODES[r.to], r.causes.map(ref)];
    case "peer-restart":
      return [4, n(t), ref(r.probe), factsWire(r.detail)];
    case "config-reload":
      return r.probes ? [5, n(t), r.added.map(ref), r.removed.map(ref), r.changed.map(ref), probesWire(r.probes)] : [5, n(t), r.added.map(ref), r.removed.map(ref), r.changed.map(ref)];
    case "spool-drop":
      return [6, n(t), n(r.records), n(r.bytes)];
    case "agent-start":
      return r.probes ? [7, n(t), r.version, { ...r.labels }, probesWire(r.probes)] : [7, n(t), r.version, { ...r.labels }];
    case "agent-stop":
      return [8, n(t), r.reason];
  }
}

/** Probe metadata on the wire: [name, kind, target, critical, interface?] per probe. */
function probesWire(probes: readonly ProbeMeta[]): Wire[] {
  return probes.map((p) => (p.interface === undefined ? [p.name, p.kind, p.target, p.critical] : [p.name, p.kind, p.target, p.critical, p.interface]));
}

function probesOf(v: unknown): unknown {
  // Shape errors are reported by the record schema; only tuples are expanded here.
  if (!Array.isArray(v)) return v;
  return v.map((p) => Array.isArray(p) ? { name: p[0], kind: p[1], target: p[2], critical: p[3], ...(p[4] !== undefined && p[4] !== null ? { interface: p[4] } : {}) } : p);
}

function isInt(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v);
}

/** The facts rule of telemetry/record.ts: string, finite number or boolean values, own keys. */
function validFacts(f: Facts): boolean {
  for (const k in f) {
    if (!Object.hasOwn(f, k)) return false;
    const v = f[k];
    if (typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v))) continue;
    return false;
  }
  return true;
}

/** Expand one wire tuple; `time` turns the encoded time into epoch ms. */
function fromWire(w: unknown, deref: (r: unknown) => string, time: (t: number) => number, lastFacts?: Map<string, Facts>, seq?: number): RecordBody {
  if (!Array.isArray(w) || w.length < 2 || !isInt(w[0]) || !isInt(w[1])) fail("record", "expected [type, time, ...]");
  const type = TYPE_BY_CODE[w[0]];
  if (!type) fail("record", `unknown record type ${w[0]}`);
  const at = time(w[1]);
  const factsOf = (v: unknown): Facts => {
    if (!Array.isArray(v) || v.length % 2 !== 0) fail("record", "facts must be [key, value, ...]");
    const out: Record<string, string | number | boolean> = {};
    for (let i = 0; i < v.length; i += 2) out[deref(v[i])] = v[i + 1] as string | number | boolean;
    return out;
  };
  const refs = (v: unknown): string[] => {
    if (!Array.isArray(v)) fail("record", "expected an array of strings");
    return v.map(deref);
  };
  let body: unknown;
  switch (type) {
    case "probe": {
      if (w.length < 6) fail("record", "probe record needs [1, dt, probe, kind, latencyUs, status]");
      const probe = deref(w[2]);
      const status = PROBE_STATUS_BY_CODE[w[5] as number];
      if (status === undefined || !isInt(w[5])) fail("record", `unknown probe status ${JSON.stringify(w[5])}`);
      let facts: Facts | undefined;
      if (w[6] === true) {
        facts = lastFacts?.get(probe);
        if (!facts) fail("record", `facts of probe "${probe}" refer to a previous record that does not exist`);
      } else if (w[6] !== null && w[6] !== undefined) {
        facts = factsOf(w[6]);
        lastFacts?.set(probe, facts);
      }
      const failure = status === "ok" ? undefined : {
        kind: status as FailureKind,
        ...(w[7] !== null && w[7] !== undefined ? { message: deref(w[7]) } : {}),
        ...(w[8] !== null && w[8] !== undefined ? { reason: deref(w[8]) } : {}),
      };
      const kind = deref(w[3]);
      const latencyUs = w[4];
      // Probe results are nearly every record: checked here field by field, the same rules as
      // probeRecordSchema (measured: zod's safeParse was ~40 % of decodeBatch). Anything that
      // fails a check goes through the schema below for its exact error.
      if (probe.length > 0 && at >= 0 && Number.isSafeInteger(at) && isInt(latencyUs) && latencyUs >= 0 && (facts === undefined || validFacts(facts))) {
        // With `seq` the batch's record is built here at once (no copy to add it).
        const r: Record<string, unknown> = seq === undefined ? { type, at, probe, kind, ok: !failure, latencyUs } : { seq, type, at, probe, kind, ok: !failure, latencyUs };
        if (failure) r.failure = failure;
        if (facts) r.facts = facts;
        return r as RecordBody;
      }
      body = { type, at, probe, kind, ok: status === "ok", latencyUs, ...(failure ? { failure } : {}), ...(facts ? { facts } : {}) };
      break;
    }
    case "state":
      body = { type, at, probe: deref(w[2]), from: PROBE_STATE_BY_CODE[w[3] as number], to: PROBE_STATE_BY_CODE[w[4] as number] };
      break;
    case "verdict":
      body = { type, at, from: VERDICT_BY_CODE[w[2] as number], to: VERDICT_BY_CODE[w[3] as number], causes: refs(w[4]) };
      break;
    case "peer-restart":
      body = { type, at, probe: deref(w[2]), detail: factsOf(w[3]) };
      break;
    case "config-reload":
      body = { type, at, added: refs(w[2]), removed: refs(w[3]), changed: refs(w[4]), ...(w[5] !== undefined ? { probes: probesOf(w[5]) } : {}) };
      break;
    case "spool-drop":
      body = { type, at, records: w[2], bytes: w[3] };
      break;
    case "agent-start":
      body = { type, at, version: w[2], labels: w[3], ...(w[4] !== undefined ? { probes: probesOf(w[4]) } : {}) };
      break;
    case "agent-stop":
      body = { type, at, reason: w[2] };
      break;
  }
  const parsed = recordBodySchema.safeParse(body);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    fail("record", `${type} record field ${i.path.join(".") || "(root)"}: ${i.message}`);
  }
  return parsed.data;
}

function cborDecode(bytes: Uint8Array, what: string): unknown {
  try {
    return decoder.decode(bytes);
  } catch (e) {
    throw new DecodeError("telemetry", 0, `Cannot decode telemetry ${what}: not well-formed CBOR (${(e as Error).message})`, { cause: e });
  }
}

/**
 * Encode a batch. Its records must belong to one (agentId, bootId) stream with contiguous seqs.
 * @throws {RangeError} when seqs are not contiguous.
 * @example encodeBatch({ agentId: "upf-17", bootId: "b1", records: [{ seq: 1, type: "agent-stop", at: 0, reason: "SIGTERM" }] })
 */
export function encodeBatch(batch: Batch): Uint8Array<ArrayBuffer> {
  const strings: string[] = [];
  const index = new Map<string, number>();
  const ref = (s: string): number => {
    let i = index.get(s);
    if (i === undefined) {
      i = strings.length;
      strings.push(s);
      index.set(s, i);
    }
    return i;
  };
  const recs = batch.records;
  const baseSeq = recs.length > 0 ? recs[0].seq : 0;
  const baseTime = recs.length > 0 ? recs[0].at : 0;
  let prev = baseTime;
  const lastFacts = new Map<string, Facts>();
  const wire: Wire[] = new Array(recs.length);
  for (let i = 0; i < recs.length; i++) {
    const r = recs[i];
    if (r.seq !== baseSeq + i) throw new RangeError(`Cannot encode telemetry batch: seq ${r.seq} at position ${i} is not ${baseSeq + i}`);
    wire[i] = toWire(r, r.at - prev, ref, lastFacts);
    prev = r.at;
  }
  // A copy: cbor-x returns a view into its shared, growing output buffer, and decoding such a
  // view was measured 10-100x slower than decoding a compact copy once that buffer had grown.
  return encoder.encode([WIRE_VERSION, batch.agentId, batch.bootId, n(baseSeq), n(baseTime), strings, wire]).slice() as Uint8Array<ArrayBuffer>;
}

/** Bounds of what decodeBatch accepts from the network (docs/security.md "Hostile ingest"). */
export interface DecodeBatchLimits {
  /** Records in one batch. @default 10000 (the agent's largest batch.maxRecords) */
  readonly maxRecords: number;
  /** Deepest CBOR nesting (a v1 batch needs 5). @default 8 */
  readonly maxDepth: number;
  /** Longest CBOR array, map or string. @default 65536 */
  readonly maxLength: number;
}

export const DECODE_BATCH_LIMITS: DecodeBatchLimits = { maxRecords: 10_000, maxDepth: 8, maxLength: 65_536 };

/**
 * Decode and validate a batch: a bounded scan of the bytes (cbor_scan.ts: no tags, no indefinite
 * lengths, bounded depth and lengths), then CBOR, then the record count, then zod per record.
 * @param intern where the one-pass decoder takes the string table's strings from (a collector keeps one)
 * @throws {WireVersionError} for a version other than 1; {DecodeError} for anything malformed.
 */
export function decodeBatch(bytes: Uint8Array, limits: DecodeBatchLimits = DECODE_BATCH_LIMITS, intern?: StringIntern): Batch {
  // Batches of probe results only (nearly all): one pass, the same result (batch_fast_decode.ts),
  // the string table's strings from `intern` when given (string_intern.ts).
  return decodeProbeBatch(bytes, limits, intern) ?? decodeBatchGeneral(bytes, limits);
}

/** decodeBatch without the one-pass decoder of probe batches (its reference, in tests). */
export function decodeBatchGeneral(bytes: Uint8Array, limits: DecodeBatchLimits = DECODE_BATCH_LIMITS): Batch {
  scanCbor(bytes, limits);
  const top = cborDecode(bytes, "batch");
  if (!Array.isArray(top) || top.length < 1) fail("batch", "expected a CBOR array [version, ...]");
  if (top[0] !== WIRE_VERSION) throw new WireVersionError(top[0]);
  if (top.length !== 7) fail("batch", `expected 7 elements in a v1 batch, got ${top.length}`);
  const [, agentId, bootId, baseSeq, baseTime, strings, wire] = top;
  // The header schema's rules checked directly (zod's safeParse was ~2 % of ingest CPU with
  // 5 s batches, bun --cpu-prof); anything they refuse goes through the schema for its error.
  if (!(typeof agentId === "string" && agentId.length >= 1 && agentId.length <= 253 && typeof bootId === "string" && bootId.length >= 1 && bootId.length <= 64)) {
    const header = batchHeaderSchema.safeParse({ agentId, bootId });
    if (!header.success) fail("batch", `header: ${header.error.issues[0].path.join(".")}: ${header.error.issues[0].message}`);
  }
  if (!isInt(baseSeq) || baseSeq < 0 || !isInt(baseTime) || baseTime < 0) fail("batch", "baseSeq and baseTime must be unsigned integers");
  if (!Array.isArray(strings) || !strings.every((s) => typeof s === "string")) fail("batch", "the string table must be an array of text strings");
  if (!Array.isArray(wire)) fail("batch", "records must be an array");
  if (wire.length > limits.maxRecords) fail("batch", `${wire.length} records exceed the limit of ${limits.maxRecords} per batch`);
  const table = strings as string[];
  const deref = (r: unknown): string => {
    if (typeof r === "string") return r;
    if (isInt(r) && r >= 0 && r < table.length) return table[r];
    return fail("record", `string reference ${JSON.stringify(r)} is outside the table of ${table.length}`);
  };
  let prev = baseTime;
  const time = (dt: number): number => (prev = prev + dt);
  const lastFacts = new Map<string, Facts>();
  const records: TelemetryRecord[] = new Array(wire.length);
  for (let i = 0; i < wire.length; i++) {
    const seq = baseSeq + i;
    const body = fromWire(wire[i], deref, time, lastFacts, seq) as RecordBody & { seq?: number };
    records[i] = (body.seq === seq ? body : { ...body, seq }) as TelemetryRecord;
  }
  return { agentId: agentId as string, bootId: bootId as string, records };
}

/** Encode one record on its own (the spool's payload): `[type, at, ...]` with strings inline. */
export function encodeRecord(record: RecordBody): Uint8Array<ArrayBuffer> {
  return encoder.encode(toWire(record, record.at, (s) => s)).slice() as Uint8Array<ArrayBuffer>;
}

/** Decode one spool payload written by encodeRecord. @throws {DecodeError} */
export function decodeRecord(bytes: Uint8Array): RecordBody {
  const w = cborDecode(bytes, "record");
  return fromWire(w, (r) => (typeof r === "string" ? r : fail("record", "a spooled record must carry its strings inline")), (t) => t);
}

/** Decode any CBOR item into plain values (JSON-like), for tools and the bench. */
export function decodeCborValue(bytes: Uint8Array): unknown {
  return cborDecode(bytes, "value");
}
