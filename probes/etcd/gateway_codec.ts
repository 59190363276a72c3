/**
 * @module JSON bodies of the etcd v3 gRPC gateway (etcd 3.4, docs/protocols.md A7): keys and
 * values are standard base64, int64 fields are JSON strings, and zero fields are omitted.
 * Lease and member IDs exceed 2^53, so they stay decimal strings and are never made Numbers.
 */
import { Buffer } from "node:buffer";
import { DecodeError } from "../errors.ts";

export function encodeBase64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

/** @throws DecodeError when `b64` is not standard base64. */
export function decodeBase64(b64: string, what: string): string {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) {
    throw new DecodeError("etcd", 0, `Cannot decode ${what}: ${JSON.stringify(b64.slice(0, 20))} is not base64`);
  }
  return Buffer.from(b64, "base64").toString("utf8");
}

/** Parse a gateway body as a JSON object. @throws DecodeError */
export function parseObject(body: Uint8Array, what: string): Record<string, unknown> {
  let v: unknown;
  const text = new TextDecoder().decode(body);
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new DecodeError("etcd", 0, `Cannot decode ${what}: body is not JSON (${JSON.stringify(text.slice(0, 40))})`, { cause: e });
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new DecodeError("etcd", 0, `Cannot decode ${what}: expected a JSON object`);
  return v as Record<string, unknown>;
}

/**
 * An int64/uint64 field as a decimal string: "0" when omitted (zero), the string as sent otherwise.
 * A JSON number is accepted only while it is exact (some gateways print small ones as numbers).
 * @throws DecodeError for anything else.
 */
export function int64Field(o: Record<string, unknown>, field: string, what: string): string {
  const v = o[field];
  if (v === undefined) return "0";
  if (typeof v === "string" && /^-?\d{1,20}$/.test(v)) return v.replace(/^(-?)0+(?=\d)/, "$1");
  if (typeof v === "number" && Number.isSafeInteger(v)) return String(v);
  throw new DecodeError("etcd", 0, `Cannot decode ${what}: ${field} ${JSON.stringify(v)} is not an int64 string`);
}

/** For facts: a Number when exact, else the decimal string. */
export function int64Fact(s: string): number | string {
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : s;
}

/** uint64 member ID (decimal string) → the hex form etcdctl prints. */
export function memberIdHex(id: string): string {
  return BigInt(id).toString(16);
}

export interface MaintenanceStatus {
  readonly memberId: string;
  /** "0" when there is no leader. */
  readonly leader: string;
  readonly raftTerm: string;
  readonly raftIndex: string;
  readonly dbSize: string;
  readonly version: string;
}

export function decodeStatus(body: Uint8Array): MaintenanceStatus {
  const o = parseObject(body, "maintenance status");
  const header = (o.header && typeof o.header === "object" ? o.header : {}) as Record<string, unknown>;
  return {
    memberId: int64Field(header, "member_id", "maintenance status header"),
    leader: int64Field(o, "leader", "maintenance status"),
    raftTerm: int64Field(o, "raftTerm", "maintenance status"),
    raftIndex: int64Field(o, "raftIndex", "maintenance status"),
    dbSize: int64Field(o, "dbSize", "maintenance status"),
    version: typeof o.version === "string" ? o.version : "",
  };
}

export interface LeaseGrant {
  readonly id: string;
  readonly ttl: number;
}

export function decodeLeaseGrant(body: Uint8Array): LeaseGrant {
  const o = parseObject(body, "lease grant");
  const id = int64Field(o, "ID", "lease grant");
  if (id === "0") throw new DecodeError("etcd", 0, "Cannot decode lease grant: no lease ID in the answer");
  if (typeof o.error === "string" && o.error) throw new DecodeError("etcd", 0, `Cannot decode lease grant: ${o.error}`);
  return { id, ttl: Number(int64Field(o, "TTL", "lease grant")) };
}

/** keepalive answers `{"result":{…,"ID","TTL"}}`; an expired or unknown lease has no TTL (A7). */
export function decodeKeepAlive(body: Uint8Array): { readonly id: string; readonly ttl: number } {
  // The stream may carry one JSON object per line; the first is the answer to our one request.
  const first = new TextDecoder().decode(body).split("\n").find((l) => l.trim()) ?? "";
  const o = parseObject(new TextEncoder().encode(first), "lease keepalive");
  const r = (o.result && typeof o.result === "object" ? o.result : undefined) as Record<string, unknown> | undefined;
  if (!r) throw new DecodeError("etcd", 0, "Cannot decode lease keepalive: no result object");
  return { id: int64Field(r, "ID", "lease keepalive"), ttl: Number(int64Field(r, "TTL", "lease keepalive")) };
}

export interface RangeResult {
  readonly revision: string;
  readonly kvs: ReadonlyArray<{ readonly key: string; readonly value: string; readonly lease: string; readonly modRevision: string }>;
}

export function decodeRange(body: Uint8Array): RangeResult {
  const o = parseObject(body, "range");
  const header = (o.header && typeof o.header === "object" ? o.header : {}) as Record<string, unknown>;
  const kvs = o.kvs === undefined ? [] : o.kvs;
  if (!Array.isArray(kvs)) throw new DecodeError("etcd", 0, "Cannot decode range: kvs is not an array");
  return {
    revision: int64Field(header, "revision", "range header"),
    kvs: kvs.map((kv, i) => {
      if (!kv || typeof kv !== "object") throw new DecodeError("etcd", 0, `Cannot decode range: kvs[${i}] is not an object`);
      const k = kv as Record<string, unknown>;
      return {
        key: decodeBase64(typeof k.key === "string" ? k.key : "", `range kvs[${i}].key`),
        value: decodeBase64(typeof k.value === "string" ? k.value : "", `range kvs[${i}].value`),
        lease: int64Field(k, "lease", `range kvs[${i}]`),
        modRevision: int64Field(k, "mod_revision", `range kvs[${i}]`),
      };
    }),
  };
}

export function decodeAuthenticate(body: Uint8Array): string {
  const o = parseObject(body, "authenticate");
  if (typeof o.token !== "string" || !o.token) throw new DecodeError("etcd", 0, "Cannot decode authenticate: no token");
  return o.token;
}

/** `{"error","message","code"}` with a gRPC status code; undefined when the body is not one. */
export function decodeGatewayError(body: Uint8Array): { readonly code: number; readonly message: string } | undefined {
  try {
    const o = JSON.parse(new TextDecoder().decode(body));
    if (o && typeof o === "object" && typeof o.code === "number") {
      return { code: o.code, message: typeof o.message === "string" ? o.message : typeof o.error === "string" ? o.error : "" };
    }
  } catch {
    // not a gateway error body
  }
  return undefined;
}
