/**
 * @module A client for one etcd member's v3 JSON gateway (`/v3/*`, etcd ≥ 3.4; docs/protocols.md
 * A7) over HTTP/1.1, with optional user/password authentication.
 */
import { ProbeFailureError } from "../errors.ts";
import type { Http1Client } from "../_http/mod.ts";
import { decodeAuthenticate, decodeGatewayError, parseObject } from "./gateway_codec.ts";

/** "host:port" or "host" → "http://host:port" (2379 by default); a URL loses its trailing slash. */
export function endpointUrl(text: string): string {
  const t = text.trim();
  const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(t) ? t : `http://${t}`);
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new TypeError(`Cannot use etcd endpoint ${text}: scheme must be http or https`);
  if (!url.port) url.port = "2379";
  return `${url.protocol}//${url.host}`;
}

/** gRPC status names for messages (etcd's gateway carries the gRPC code). */
const GRPC: Record<number, string> = {
  1: "CANCELLED",
  2: "UNKNOWN",
  3: "INVALID_ARGUMENT",
  4: "DEADLINE_EXCEEDED",
  5: "NOT_FOUND",
  7: "PERMISSION_DENIED",
  8: "RESOURCE_EXHAUSTED",
  9: "FAILED_PRECONDITION",
  14: "UNAVAILABLE",
  16: "UNAUTHENTICATED",
};

export interface EtcdGatewayOptions {
  readonly endpoint: string;
  readonly http: Http1Client;
  readonly username?: string;
  readonly password?: string;
}

export interface EtcdGateway {
  readonly endpoint: string;
  /** GET /health: etcd's own verdict (alarms, leader, a linearizable read within 1 s). */
  health(signal: AbortSignal): Promise<{ readonly healthy: boolean; readonly status: number }>;
  /**
   * POST a gateway call; returns the body of a 2xx answer.
   * @throws ProbeFailureError("rejected") for an etcd error answer, DecodeError for garbage.
   */
  call(path: string, body: unknown, signal: AbortSignal, what: string): Promise<Uint8Array>;
}

export function createEtcdGateway(options: EtcdGatewayOptions): EtcdGateway {
  const endpoint = endpointUrl(options.endpoint);
  let token: string | undefined;

  async function authenticate(signal: AbortSignal): Promise<string> {
    const res = await options.http.request({
      method: "POST",
      url: `${endpoint}/v3/auth/authenticate`,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: options.username, password: options.password }),
    }, signal);
    if (res.status !== 200) {
      const e = decodeGatewayError(res.body);
      throw new ProbeFailureError("rejected", `Cannot authenticate as ${options.username} at ${endpoint}: ${e?.message ?? `HTTP ${res.status}`}`, { reason: "AUTH_FAILED" });
    }
    return decodeAuthenticate(res.body);
  }

  async function post(path: string, body: unknown, signal: AbortSignal) {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (options.username !== undefined) {
      token ??= await authenticate(signal);
      // grpc-gateway passes the Authorization header on as the `token` metadata etcd reads.
      headers.authorization = token;
    }
    return options.http.request({ method: "POST", url: `${endpoint}${path}`, headers, body: JSON.stringify(body) }, signal);
  }

  return {
    endpoint,
    async health(signal) {
      const res = await options.http.request({ method: "GET", url: `${endpoint}/health` }, signal);
      if (res.status === 200) {
        const o = parseObject(res.body, "health");
        return { healthy: o.health === "true" || o.health === true, status: res.status };
      }
      // 503 {"health":"false"} comes as text/plain through http.Error (A7); any non-200 is unhealthy.
      return { healthy: false, status: res.status };
    },
    async call(path, body, signal, what) {
      let res = await post(path, body, signal);
      let err = res.status >= 200 && res.status < 300 ? undefined : decodeGatewayError(res.body);
      if (err?.code === 16 && options.username !== undefined) {
        // Tokens expire (simple tokens after 5 min idle): authenticate again once.
        token = undefined;
        res = await post(path, body, signal);
        err = res.status >= 200 && res.status < 300 ? undefined : decodeGatewayError(res.body);
      }
      if (res.status >= 200 && res.status < 300) return res.body;
      const name = err ? GRPC[err.code] ?? `code ${err.code}` : `HTTP ${res.status}`;
      throw new ProbeFailureError("rejected", `Cannot ${what} at ${endpoint}: ${err?.message || `HTTP ${res.status}`}`, { reason: name });
    },
  };
}
