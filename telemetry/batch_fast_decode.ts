/**
 * @module A one-pass decoder for the common wire-v1 batch: only probe results, ASCII strings,
 * integer fields (docs/telemetry.md has the layout). It reads the CBOR bytes straight into the
 * batch's records, without cbor-x's intermediate arrays and without the separate bounds scan.
 *
 * It never decides what is wrong: anything outside that shape (another record type, a float, a
 * tag, a map, a byte string, a non-ASCII string, a length past a limit, a failed field rule, bytes
 * missing or left over) makes it answer `undefined`, and codec.ts `decodeBatch` decodes the same
 * bytes the general way, which accepts or refuses with its exact error. So what it returns is
 * what the general path returns for the same bytes (telemetry/batch_fast_decode_test.ts holds
 * that for valid batches, mutated ones and hostile heads).
 *
 * Measured (bun --cpu-prof, the collector's in-process ingest with 5 s batches): the bounds scan,
 * cbor-x and the record building were ~12 % of ingest CPU (docs/benchmarks.md).
 */
import type { Facts, TelemetryRecord } from "./record.ts";
import { type FailureKind, PROBE_STATUS_BY_CODE } from "./wire_tables.ts";
import type { StringIntern } from "./string_intern.ts";

/** The bounds decodeBatch takes (codec.ts DecodeBatchLimits). */
interface Limits {
  readonly maxRecords: number;
  readonly maxDepth: number;
  readonly maxLength: number;
}

/** Not the fast shape: the general decoder takes the bytes (a sentinel, not an error). */
const OUT = Symbol("general path");
type Out = typeof OUT;

/** Reader state over one batch. */
class Reader {
  p = 0;
  constructor(readonly b: Uint8Array, readonly maxLength: number) {}

  /** The head's argument of an item of major type `major`, or OUT. */
  head(major: number): number | Out {
    const b = this.b;
    if (this.p >= b.length) return OUT;
    const ib = b[this.p];
    if (ib >> 5 !== major) return OUT;
    return this.arg(ib & 31);
  }

  arg(ai: number): number | Out {
    const b = this.b;
    let p = this.p + 1;
    let v: number;
    if (ai < 24) v = ai;
    else if (ai === 24) {
      if (p + 1 > b.length) return OUT;
      v = b[p];
      p += 1;
    } else if (ai === 25) {
      if (p + 2 > b.length) return OUT;
      v = (b[p] << 8) | b[p + 1];
      p += 2;
    } else if (ai === 26) {
      if (p + 4 > b.length) return OUT;
      v = ((b[p] << 24) >>> 0) + (b[p + 1] << 16) + (b[p + 2] << 8) + b[p + 3];
      p += 4;
    } else if (ai === 27) {
      if (p + 8 > b.length) return OUT;
      const hi = ((b[p] << 24) >>> 0) + (b[p + 1] << 16) + (b[p + 2] << 8) + b[p + 3];
      if (hi >= 0x200000) return OUT; // beyond 2^53: not a safe integer
      v = hi * 2 ** 32 + ((b[p + 4] << 24) >>> 0) + (b[p + 5] << 16) + (b[p + 6] << 8) + b[p + 7];
      p += 8;
    } else return OUT; // indefinite lengths, reserved values
    this.p = p;
    return v;
  }

  /** An integer (major type 0 or 1), or OUT. */
  int(): number | Out {
    const b = this.b;
    if (this.p >= b.length) return OUT;
    const ib = b[this.p];
    const major = ib >> 5;
    if (major > 1) return OUT;
    const v = this.arg(ib & 31);
    if (v === OUT) return OUT;
    return major === 0 ? v : -1 - v;
  }

  /** An array's length (bounded by maxLength), or OUT. */
  array(): number | Out {
    const n = this.head(4);
    return n === OUT || n > this.maxLength ? OUT : n;
  }

  /** An ASCII text string, or OUT; from `intern` when given (string_intern.ts). */
  text(intern?: StringIntern): string | Out {
    const n = this.head(3);
    // Longer strings (failure messages, at most maxLength) are rare: the general path.
    if (n === OUT || n > 256 || n > this.maxLength || n > this.b.length - this.p) return OUT;
    const b = this.b, start = this.p, end = start + n;
    for (let i = start; i < end; i++) if (b[i] >= 0x80) return OUT;
    this.p = end;
    if (intern) return intern.get(b, start, end);
    // Short strings char by char (as cbor-x does), longer ones in one call.
    if (n <= 16) {
      let s = "";
      for (let i = start; i < end; i++) s += String.fromCharCode(b[i]);
      return s;
    }
    return String.fromCharCode.apply(null, b.subarray(start, end) as unknown as number[]);
  }

  /** null (0xf6) or undefined (0xf7): true, and consumed; else false. */
  nil(): boolean {
    const ib = this.b[this.p];
    if (ib === 0xf6 || ib === 0xf7) {
      this.p++;
      return true;
    }
    return false;
  }
}

/**
 * Decode a batch of probe results in one pass.
 * @returns the batch, exactly as codec.ts decodeBatch returns it; undefined when the bytes are
 *   anything else (decodeBatch then decodes them the general way, errors included)
 */
export function decodeProbeBatch(bytes: Uint8Array, limits: Limits, intern?: StringIntern): { agentId: string; bootId: string; records: TelemetryRecord[] } | undefined {
  // top > records > record > facts: four levels.
  if (limits.maxDepth < 4) return undefined;
  const r = new Reader(bytes, limits.maxLength);
  if (r.array() !== 7 || r.int() !== 1) return undefined;
  const agentId = r.text(), bootId = r.text();
  if (agentId === OUT || bootId === OUT || agentId.length < 1 || agentId.length > 253 || bootId.length < 1 || bootId.length > 64) return undefined;
  const baseSeq = r.head(0), baseTime = r.head(0);
  if (baseSeq === OUT || baseTime === OUT) return undefined;
  const nStrings = r.array();
  // Every item takes at least a byte: a declared length the bytes cannot hold allocates nothing.
  if (nStrings === OUT || nStrings > bytes.length - r.p) return undefined;
  const table: string[] = new Array(nStrings);
  for (let i = 0; i < nStrings; i++) {
    // The table holds what batches repeat (probe names, kinds, fact keys): the same strings again.
    const s = r.text(intern);
    if (s === OUT) return undefined;
    table[i] = s;
  }
  const nRecords = r.array();
  if (nRecords === OUT || nRecords > limits.maxRecords || nRecords > bytes.length - r.p) return undefined;
  const ref = (): string | Out => {
    const ib = bytes[r.p];
    if (ib >> 5 === 3) return r.text();
    const i = r.head(0);
    return i === OUT || i >= table.length ? OUT : table[i];
  };
  const lastFacts = new Map<string, Facts>();
  const records: TelemetryRecord[] = new Array(nRecords);
  let at = baseTime;
  for (let k = 0; k < nRecords; k++) {
    const len = r.array();
    if (len === OUT || len < 6 || len > 9 || r.int() !== 1) return undefined;
    const dt = r.int();
    if (dt === OUT) return undefined;
    at += dt;
    const probe = ref(), kind = ref(), latencyUs = r.head(0), code = r.head(0);
    if (probe === OUT || kind === OUT || latencyUs === OUT || code === OUT) return undefined;
    const status = PROBE_STATUS_BY_CODE[code];
    if (status === undefined || probe.length === 0 || at < 0 || !Number.isSafeInteger(at)) return undefined;
    let facts: Facts | undefined;
    if (len > 6 && !r.nil()) {
      if (bytes[r.p] === 0xf5) {
        r.p++;
        facts = lastFacts.get(probe);
        if (!facts) return undefined;
      } else {
        const f = readFacts(r, ref);
        if (f === OUT) return undefined;
        lastFacts.set(probe, facts = f);
      }
    }
    let message: string | undefined, reason: string | undefined;
    if (len > 7 && !r.nil()) {
      const m = ref();
      if (m === OUT) return undefined;
      message = m;
    }
    if (len > 8 && !r.nil()) {
      const m = ref();
      if (m === OUT) return undefined;
      reason = m;
    }
    // The same object, keys in the same order, as codec.ts fromWire builds.
    const rec: Record<string, unknown> = { seq: baseSeq + k, type: "probe", at, probe, kind, ok: status === "ok", latencyUs };
    if (status !== "ok") {
      rec.failure = message === undefined
        ? (reason === undefined ? { kind: status as FailureKind } : { kind: status as FailureKind, reason })
        : (reason === undefined ? { kind: status as FailureKind, message } : { kind: status as FailureKind, message, reason });
    }
    if (facts) rec.facts = facts;
    records[k] = rec as unknown as TelemetryRecord;
  }
  if (r.p !== bytes.length) return undefined;
  return { agentId, bootId, records };
}

/** Facts on the wire: [key, value, ...], keys by reference, values ASCII text, integers or booleans. */
function readFacts(r: Reader, ref: () => string | Out): Facts | Out {
  const n = r.array();
  if (n === OUT || n % 2 !== 0) return OUT;
  const out: Record<string, string | number | boolean> = {};
  for (let i = 0; i < n; i += 2) {
    const k = ref();
    if (k === OUT) return OUT;
    const ib = r.b[r.p];
    let v: string | number | boolean | Out;
    if (ib === 0xf5 || ib === 0xf4) {
      r.p++;
      v = ib === 0xf5;
    } else if (ib >> 5 === 3) v = r.text();
    else v = r.int();
    if (v === OUT) return OUT;
    // A key met twice, or one an object holds by inheritance, is left to the general path.
    if (Object.hasOwn(out, k) || k in out) return OUT;
    out[k] = v;
  }
  return out;
}
