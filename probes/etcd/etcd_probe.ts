/**
 * @module The `etcd` probe kind over the v3 JSON gateway: per member GET /health and
 * maintenance status (leader, raftTerm, raftIndex, dbSize), then a linearizable round-trip
 * (lease grant → put with lease → range → compare → lease revoke).
 */
import { createHttp1Client, loadTls, wrapTlsError } from "../_http/mod.ts";
import { DecodeError, ProbeFailureError } from "../errors.ts";
import type { FactValue, FailureKind, ProbeEvent, ProbeKind, ProbeOutcome } from "../types.ts";
import { createEtcdGateway, endpointUrl, type EtcdGateway } from "./gateway.ts";
import { decodeLeaseGrant, decodeRange, decodeStatus, encodeBase64, int64Fact, type MaintenanceStatus, memberIdHex } from "./gateway_codec.ts";
import { etcdOptions, type EtcdProbeOptions } from "./options.ts";
import { roundMs } from "../../common/round_ms.ts";

interface MemberResult {
  readonly gateway: EtcdGateway;
  readonly status?: MaintenanceStatus;
  readonly error?: unknown;
}

function kindOf(e: unknown): FailureKind {
  if (e instanceof ProbeFailureError) return e.kind;
  if (e instanceof DecodeError) return "malformed";
  const name = (e as { name?: string })?.name;
  if (name === "TimeoutError" || name === "AbortError") return "timeout";
  const code = (e as { code?: string })?.code;
  if (code === "ECONNREFUSED") return "refused";
  return "unreachable";
}

function short(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Put, read back and compare a nonce under a fresh lease, then revoke it: nothing stays behind. */
async function roundTrip(gw: EtcdGateway, key: string, ttl: number, signal: AbortSignal): Promise<{ revision: string; ms: number }> {
  const t0 = performance.now();
  const lease = decodeLeaseGrant(await gw.call("/v3/lease/grant", { TTL: ttl }, signal, "grant a lease"));
  try {
    const nonce = `${Date.now()}-${crypto.randomUUID()}`;
    const k = encodeBase64(key);
    // The lease ID goes back as the exact decimal string etcd sent (A7: never a Number).
    await gw.call("/v3/kv/put", { key: k, value: encodeBase64(nonce), lease: lease.id }, signal, "put the probe key");
    // A range without serializable=true is linearizable: it goes through the leader's ReadIndex.
    const r = decodeRange(await gw.call("/v3/kv/range", { key: k }, signal, "read the probe key back"));
    const got = r.kvs.find((kv) => kv.key === key);
    if (!got || got.value !== nonce) {
      throw new ProbeFailureError("rejected", `Cannot read back the probe key ${key} at ${gw.endpoint}: ${got ? "value differs" : "key missing"}`, { reason: "ROUND_TRIP_MISMATCH" });
    }
    return { revision: r.revision, ms: performance.now() - t0 };
  } finally {
    // Revoking deletes the key with the lease; if this fails the lease TTL still removes it.
    const revokeSignal = signal.aborted ? AbortSignal.timeout(1000) : AbortSignal.any([signal, AbortSignal.timeout(1000)]);
    await gw.call("/v3/lease/revoke", { ID: lease.id }, revokeSignal, "revoke the probe lease").catch(() => {});
  }
}

export const etcd: ProbeKind<EtcdProbeOptions> = {
  kind: "etcd",
  summary: "etcd v3 JSON gateway: /health, leader and raft status per member, linearizable put/range round-trip",
  example: "edgeprobe probe etcd http://10.0.0.8:2379 --round-trip false",
  defaultPort: 2379,
  options: etcdOptions,
  create(spec, env) {
    const o = spec.options;
    const urls = (o.endpoints?.length ? o.endpoints : [spec.target]).map(endpointUrl);
    const http = createHttp1Client({ tls: loadTls(o.tls), localAddress: spec.sourceAddress });
    const gateways = urls.map((endpoint) => createEtcdGateway({ endpoint, http, username: o.username, password: o.password }));
    const minHealthy = o.minHealthy ?? Math.floor(gateways.length / 2) + 1;
    if (minHealthy > gateways.length) throw new RangeError(`Cannot require ${minHealthy} healthy members of ${gateways.length} endpoints`);
    // A per-instance suffix: two agents probing one cluster under the same probe name must not
    // read (or revoke) each other's key.
    const key = `${o.keyPrefix}${spec.name}/${crypto.randomUUID().slice(0, 8)}`;
    // Kept across runs: the last leader seen, to report a change as an event.
    let lastLeader: string | undefined;

    async function member(gw: EtcdGateway, signal: AbortSignal): Promise<MemberResult> {
      try {
        const [health, statusBody] = await Promise.all([
          gw.health(signal),
          gw.call("/v3/maintenance/status", {}, signal, "read maintenance status"),
        ]);
        const status = decodeStatus(statusBody);
        if (status.leader === "0") {
          return { gateway: gw, status, error: new ProbeFailureError("rejected", `Cannot find a leader: member ${memberIdHex(status.memberId)} at ${gw.endpoint} has none (raftTerm ${status.raftTerm})`, { reason: "NO_LEADER" }) };
        }
        if (!health.healthy) {
          return { gateway: gw, status, error: new ProbeFailureError("rejected", `Cannot consider ${gw.endpoint} healthy: GET /health answered ${health.status} health=false`, { reason: "UNHEALTHY" }) };
        }
        return { gateway: gw, status };
      } catch (e) {
        return { gateway: gw, error: wrapTlsError(e, gw.endpoint) };
      }
    }

    return {
      async run(signal): Promise<ProbeOutcome> {
        const t0 = performance.now();
        const results = await Promise.all(gateways.map((gw) => member(gw, signal)));
        if (signal.aborted) throw signal.reason;
        const healthy = results.filter((r) => !r.error);
        const facts: Record<string, FactValue> = {};
        const events: ProbeEvent[] = [];
        if (gateways.length > 1) {
          facts.members = gateways.length;
          facts.healthyMembers = healthy.length;
          const down = results.filter((r) => r.error).map((r) => r.gateway.endpoint);
          if (down.length) facts.unhealthy = down.join(",");
        }
        // The leader as most healthy members see it; with one endpoint, that member's view.
        const views = (healthy.length ? healthy : results).filter((r) => r.status && r.status.leader !== "0");
        const counts = new Map<string, number>();
        for (const r of views) counts.set(r.status!.leader, (counts.get(r.status!.leader) ?? 0) + 1);
        const leader = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
        const ref = views.find((r) => r.status!.leader === leader)?.status ?? results.find((r) => r.status)?.status;
        if (ref) {
          facts.raftTerm = int64Fact(ref.raftTerm);
          facts.raftIndex = int64Fact(ref.raftIndex);
          facts.dbSize = int64Fact(ref.dbSize);
          if (ref.version) facts.version = ref.version;
        }
        if (leader) {
          facts.leader = memberIdHex(leader);
          if (lastLeader !== undefined && lastLeader !== leader) {
            events.push({ type: "leader-change", detail: { from: memberIdHex(lastLeader), to: memberIdHex(leader), raftTerm: facts.raftTerm ?? "" } });
            env.log("info", "etcd leader changed", { probe: spec.name, from: memberIdHex(lastLeader), to: memberIdHex(leader) });
          }
          lastLeader = leader;
        }
        const withEvents = (x: ProbeOutcome): ProbeOutcome => events.length ? { ...x, events } : x;

        if (healthy.length < minHealthy) {
          const first = results.find((r) => r.error)!.error;
          if (gateways.length === 1 && !(first instanceof ProbeFailureError && first.kind === "rejected")) {
            // One member and no answer: let runProbe classify the socket error (refused, timeout…).
            throw first;
          }
          const kinds = results.filter((r) => r.error).map((r) => kindOf(r.error));
          const kind: FailureKind = kinds.includes("rejected") ? "rejected" : kinds[0];
          const reason = first instanceof ProbeFailureError ? first.reason : undefined;
          const message = gateways.length === 1
            ? short(first)
            : `Cannot find ${minHealthy} healthy etcd members: ${healthy.length} of ${gateways.length} (${results.filter((r) => r.error).map((r) => `${r.gateway.endpoint}: ${short(r.error)}`).join("; ")})`;
          return withEvents({ ok: false, latencyMs: performance.now() - t0, facts, failure: { kind, message, ...(reason ? { reason } : {}) } });
        }
        if (!leader) {
          return withEvents({ ok: false, latencyMs: performance.now() - t0, facts, failure: { kind: "rejected", message: "Cannot find an etcd leader: no member reports one", reason: "NO_LEADER" } });
        }

        if (o.roundTrip) {
          // Through the leader's endpoint when we probe it, else the first healthy member.
          const via = healthy.find((r) => r.status?.memberId === leader) ?? healthy[0];
          const rt = await roundTrip(via.gateway, key, o.leaseTtl, signal).catch((e) => {
            throw wrapTlsError(e, via.gateway.endpoint);
          });
          facts.roundTripMs = roundMs(rt.ms);
          facts.revision = int64Fact(rt.revision);
        }
        return withEvents({ ok: true, latencyMs: performance.now() - t0, facts });
      },
      close() {
        http.close();
        return Promise.resolve();
      },
    };
  },
};
