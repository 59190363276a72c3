/**
 * @module The NRF heartbeat (NFUpdate, TS 29.510 §5.2.2.3.2; docs/protocols.md A6): request shape
 * and the reading of the NRF's answer.
 */
import { DecodeError } from "../errors.ts";

/** TS 29.510 §5.2.2.3.2: a JSON Patch (RFC 6902) replacing only nfStatus. */
export const HEARTBEAT_PATCH = '[{"op":"replace","path":"/nfStatus","value":"REGISTERED"}]';
export const JSON_PATCH = "application/json-patch+json";

/** `{apiRoot}/nnrf-nfm/v1/nf-instances/{nfInstanceId}` below the apiRoot's own path prefix. */
export function heartbeatPath(apiRootPath: string, nfInstanceId: string): string {
  return `${apiRootPath.replace(/\/+$/, "")}/nnrf-nfm/v1/nf-instances/${encodeURIComponent(nfInstanceId)}`;
}

/** What a 200 NFProfile tells the heartbeat: only the fields it acts on. */
export interface HeartbeatProfile {
  /** Seconds; a new value replaces the probe interval (TS 29.510 §6.1.6.2.2 NFProfile.heartBeatTimer). */
  readonly heartBeatTimer?: number;
  readonly nfStatus?: string;
}

/**
 * Read the NFProfile of a 200 answer.
 * @throws DecodeError when the body is not a JSON object, or heartBeatTimer is not a positive integer.
 */
export function decodeHeartbeatProfile(body: Uint8Array): HeartbeatProfile {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch (e) {
    throw new DecodeError("sbi", 0, `Cannot decode NFProfile of the heartbeat answer: body is not JSON (${(e as Error).message})`, { cause: e });
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new DecodeError("sbi", 0, "Cannot decode NFProfile of the heartbeat answer: expected a JSON object");
  }
  const o = v as Record<string, unknown>;
  const hbt = o.heartBeatTimer;
  if (hbt !== undefined && (typeof hbt !== "number" || !Number.isInteger(hbt) || hbt <= 0)) {
    throw new DecodeError("sbi", 0, `Cannot decode NFProfile of the heartbeat answer: heartBeatTimer ${JSON.stringify(hbt)} is not a positive integer`);
  }
  return {
    ...(hbt !== undefined ? { heartBeatTimer: hbt as number } : {}),
    ...(typeof o.nfStatus === "string" ? { nfStatus: o.nfStatus } : {}),
  };
}
