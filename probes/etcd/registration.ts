/**
 * @module Agent self-registration in etcd: the key `/edgeprobe/agents/<id>` is bound to a lease
 * (TTL 30 s by default) and rewritten with the agent's verdict summary every TTL/3, so tooling
 * reading etcd sees live agents, and a dead agent's key vanishes when its lease expires.
 */
import { createHttp1Client, loadTls, type TlsOptions } from "../_http/mod.ts";
import { sleep } from "../../common/abortable.ts";
import { createEtcdGateway, type EtcdGateway } from "./gateway.ts";
import { decodeKeepAlive, decodeLeaseGrant, encodeBase64 } from "./gateway_codec.ts";

export interface RegistrationOptions {
  /** Client URLs of the etcd members; a failing one is left for the next. */
  readonly endpoints: readonly string[];
  readonly agentId: string;
  /** Called at every refresh; must return a JSON-serialisable verdict summary. */
  readonly summary: () => unknown;
  /** Lease TTL in seconds. @default 30 */
  readonly ttlSeconds?: number;
  /** Time between refreshes. @default ttlSeconds × 1000 / 3 */
  readonly refreshMs?: number;
  /** @default "/edgeprobe/agents/" */
  readonly prefix?: string;
  readonly username?: string;
  readonly password?: string;
  readonly tls?: TlsOptions;
  readonly log?: (level: "debug" | "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>) => void;
  /** Stops the registration; the lease is then revoked so the key disappears at once. */
  readonly signal: AbortSignal;
}

export interface Registration {
  readonly key: string;
  /** Resolves once stopped and the lease revoked (or the revoke given up after 2 s). */
  readonly stopped: Promise<void>;
  /** The current lease ID (decimal string), if one is held. */
  leaseId(): string | undefined;
  /** Refreshes that reached etcd, and that failed. */
  counts(): { readonly ok: number; readonly failed: number };
}

/**
 * Start keeping the agent's key alive. Never throws after start: failures are logged and retried
 * at the next refresh, on the next endpoint.
 * @example
 * const ac = new AbortController();
 * const reg = startRegistration({ endpoints: ["http://127.0.0.1:2379"], agentId: "upf-17", summary: () => verdict, signal: ac.signal });
 * // on shutdown:
 * ac.abort(); await reg.stopped;
 */
export function startRegistration(options: RegistrationOptions): Registration {
  if (!options.endpoints.length) throw new TypeError("Cannot register in etcd: no endpoints");
  if (!/^[A-Za-z0-9._:-]+$/.test(options.agentId)) throw new TypeError(`Cannot register in etcd: agent id ${JSON.stringify(options.agentId)} has characters other than A-Z a-z 0-9 . _ : -`);
  const ttl = options.ttlSeconds ?? 30;
  if (!Number.isInteger(ttl) || ttl < 2) throw new RangeError(`Cannot register in etcd: ttlSeconds ${ttl} must be an integer >= 2`);
  // Refresh well inside the TTL so one lost refresh does not expire the lease.
  const refreshMs = options.refreshMs ?? Math.floor(ttl * 1000 / 3);
  const key = `${options.prefix ?? "/edgeprobe/agents/"}${options.agentId}`;
  const log = options.log ?? (() => {});
  const http = createHttp1Client({ tls: loadTls(options.tls) });
  const gateways: EtcdGateway[] = options.endpoints.map((endpoint) => createEtcdGateway({ endpoint, http, username: options.username, password: options.password }));
  let current = 0;
  let lease: string | undefined;
  let ok = 0;
  let failed = 0;

  async function refresh(signal: AbortSignal): Promise<void> {
    const gw = gateways[current];
    if (lease !== undefined) {
      const ka = decodeKeepAlive(await gw.call("/v3/lease/keepalive", { ID: lease }, signal, "keep the registration lease alive"));
      // An expired or unknown lease still answers 200, without a TTL (docs/protocols.md A7).
      if (!(ka.ttl > 0)) {
        log("warn", "etcd registration lease expired; granting a new one", { key, lease });
        lease = undefined;
      }
    }
    if (lease === undefined) {
      lease = decodeLeaseGrant(await gw.call("/v3/lease/grant", { TTL: ttl }, signal, "grant the registration lease")).id;
    }
    const value = JSON.stringify({ agentId: options.agentId, updatedAt: new Date().toISOString(), summary: options.summary() });
    await gw.call("/v3/kv/put", { key: encodeBase64(key), value: encodeBase64(value), lease }, signal, "write the registration key");
  }

  async function loop(): Promise<void> {
    const signal = options.signal;
    while (!signal.aborted) {
      try {
        await refresh(AbortSignal.any([signal, AbortSignal.timeout(Math.max(1000, refreshMs))]));
        ok++;
      } catch (e) {
        if (signal.aborted) break;
        failed++;
        log("warn", "Cannot refresh the etcd registration", { key, endpoint: gateways[current].endpoint, error: (e as Error).message });
        current = (current + 1) % gateways.length;
      }
      await sleep(refreshMs, signal).catch(() => {}); // the loop checks the signal itself
    }
    if (lease !== undefined) {
      const id = lease;
      lease = undefined;
      for (let i = 0; i < gateways.length; i++) {
        const gw = gateways[(current + i) % gateways.length];
        try {
          // Revoking the lease deletes the key now rather than at TTL expiry.
          await gw.call("/v3/lease/revoke", { ID: id }, AbortSignal.timeout(2000), "revoke the registration lease");
          log("info", "etcd registration revoked", { key });
          break;
        } catch (e) {
          log("warn", "Cannot revoke the etcd registration lease", { key, endpoint: gw.endpoint, error: (e as Error).message });
        }
      }
    }
    http.close();
  }

  return {
    key,
    stopped: loop(),
    leaseId: () => lease,
    counts: () => ({ ok, failed }),
  };
}
