/**
 * @module `POST /api/v1/ingest`: the collector's hot path (no framework in between).
 *
 * Order of checks, cheapest first, so bad input costs little and touches nothing stored:
 * token (401) → content type (415) → declared and actual body size (413) → CBOR + zod decode
 * (400) → token may send for this agentId (403) → one store transaction → 200 with the ack (and,
 * from a JetStream store, an `Edgeprobe-Steer` hint naming the collector that consumes the
 * agent's partition, telemetry/steer.ts).
 */
import { DecodeError } from "../common/decode_error.ts";
import { decodeBatch, WireVersionError } from "../telemetry/codec.ts";
import { newStringIntern } from "../telemetry/string_intern.ts";
import type { LogFn } from "../common/log.ts";
import { problem } from "./problem.ts";
import { readBodyCapped } from "../server/read_body.ts";
import type { Store } from "./store.ts";
import type { AgentGrant } from "./auth/mod.ts";
import { createIngestGuard, INGEST_LIMIT_DEFAULTS, type IngestGuard } from "./ingest_limits.ts";
import { STEER_HEADER } from "../telemetry/mod.ts";

export const INGEST_PATH = "/api/v1/ingest";
export const INGEST_CONTENT_TYPES = ["application/vnd.edgeprobe.telemetry+cbor", "application/cbor"];

/** Which agent ids a bearer token admits (collector/auth: constant-time, reloadable). */
export interface IngestAuth {
  agent(token: string): AgentGrant | undefined;
}

export interface IngestCounters {
  batches: Record<string, number>;
  records: number;
  duplicates: number;
  bytes: number;
  /** Records whose time was outside the window around receive time (clamped to it). */
  clamped: number;
  /** Accepted answers that named another collector to send to (`Edgeprobe-Steer`). */
  steered: number;
}

export interface IngestDeps {
  readonly store: Store;
  readonly auth: IngestAuth;
  readonly maxBodyBytes: number;
  readonly now: () => number;
  readonly log: LogFn;
  readonly counters: IngestCounters;
  /** Limits on names, sizes, probes and record times (ingest_limits.ts). @default the defaults */
  readonly guard?: IngestGuard;
}

export function newIngestCounters(): IngestCounters {
  return { batches: {}, records: 0, duplicates: 0, bytes: 0, clamped: 0, steered: 0 };
}

export function createIngestHandler(deps: IngestDeps): (req: Request) => Promise<Response> {
  const count = (result: string) => void (deps.counters.batches[result] = (deps.counters.batches[result] ?? 0) + 1);
  const unauthorized = { "www-authenticate": 'Bearer realm="edgeprobe-ingest"' };
  const guard = deps.guard ?? createIngestGuard(INGEST_LIMIT_DEFAULTS);
  // Probe names and kinds as the same strings from batch to batch (bounded: string_intern.ts).
  const strings = newStringIntern();

  return async (req) => {
    if (req.method !== "POST") {
      count("method");
      return problem({ type: "method-not-allowed", title: "Method Not Allowed", status: 405, detail: `Cannot ${req.method} ${INGEST_PATH}: only POST` }, { allow: "POST" });
    }
    const authz = req.headers.get("authorization") ?? "";
    const token = authz.startsWith("Bearer ") ? authz.slice(7).trim() : "";
    const grant = token ? deps.auth.agent(token) : undefined;
    if (!grant) {
      count("unauthorized");
      return problem({ type: "unauthorized", title: "Unauthorized", status: 401, detail: token ? "Cannot accept telemetry: unknown bearer token" : "Cannot accept telemetry: no bearer token" }, unauthorized);
    }
    const ct = (req.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
    if (!INGEST_CONTENT_TYPES.includes(ct)) {
      count("unsupported-media-type");
      return problem({ type: "unsupported-media-type", title: "Unsupported Media Type", status: 415, detail: `Cannot accept telemetry: content-type ${JSON.stringify(ct)} is not ${INGEST_CONTENT_TYPES[0]}` });
    }
    const declared = Number(req.headers.get("content-length") ?? "0");
    const tooLarge = () => {
      count("too-large");
      return problem({ type: "body-too-large", title: "Content Too Large", status: 413, detail: `Cannot accept telemetry: body exceeds ${deps.maxBodyBytes} bytes` });
    };
    if (declared > deps.maxBodyBytes) return tooLarge();
    const body = await readBodyCapped(req, deps.maxBodyBytes);
    if (!body) return tooLarge();
    deps.counters.bytes += body.length;

    let batch;
    try {
      batch = decodeBatch(body, guard.decodeLimits(), strings);
    } catch (e) {
      if (e instanceof WireVersionError) {
        count("unsupported-version");
        return problem({ type: "unsupported-wire-version", title: "Bad Request", status: 400, detail: e.message });
      }
      if (e instanceof DecodeError) {
        count("malformed");
        return problem({ type: "malformed-batch", title: "Bad Request", status: 400, detail: e.message });
      }
      throw e;
    }
    if (grant.agentId !== undefined && grant.agentId !== batch.agentId) {
      count("forbidden");
      return problem({ type: "forbidden-agent", title: "Forbidden", status: 403, detail: `Cannot accept telemetry: this token belongs to agent ${JSON.stringify(grant.agentId)}, not ${JSON.stringify(batch.agentId)}` });
    }
    const receivedAt = deps.now();
    const checked = guard.check(batch, receivedAt, grant.agentId !== undefined);
    if (checked.violation) {
      count(checked.violation.type);
      return problem({ type: checked.violation.type, title: checked.violation.status === 403 ? "Forbidden" : "Bad Request", status: checked.violation.status, detail: checked.violation.detail });
    }
    // Looked up now, so a steering hint the store has to fetch is there by the answer.
    deps.store.steer?.(batch.agentId);
    try {
      const out = await deps.store.ingest(batch, receivedAt, body);
      guard.accepted(batch);
      deps.counters.clamped += checked.clamped;
      count("ok");
      deps.counters.records += out.stored;
      deps.counters.duplicates += out.duplicates;
      // Only on an accepted answer: what is stored and acked is the same either way (telemetry/steer.ts).
      const steerTo = deps.store.steer?.(batch.agentId);
      if (steerTo === undefined) return new Response(JSON.stringify(out), { headers: { "content-type": "application/json" } });
      deps.counters.steered++;
      return new Response(JSON.stringify(out), { headers: { "content-type": "application/json", [STEER_HEADER]: steerTo } });
    } catch (e) {
      count("store-error");
      deps.log("error", "collector: cannot store a batch", { agentId: batch.agentId, bootId: batch.bootId, error: (e as Error).message });
      return problem({ type: "store-unavailable", title: "Service Unavailable", status: 503, detail: (e as Error).message }, { "retry-after": "1" });
    }
  };
}
