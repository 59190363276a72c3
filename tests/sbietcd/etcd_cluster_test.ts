/**
 * A real 3-member etcd 3.4 cluster (Debian etcd-server) on 127.0.0.1:2240x (client) / 2250x (peer),
 * with short election timeouts: the probe reports a leader change, fails without quorum, recovers.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { etcd, startRegistration, createEtcdGateway, decodeRange, encodeBase64 } from "../../probes/etcd/mod.ts";
import { createHttp1Client } from "../../probes/_http/mod.ts";
import { runProbe } from "../../probes/run_probe.ts";
import { systemClock } from "../../runtime/clock.ts";
import { nodeNet } from "../../runtime/node_net.ts";
import type { ProbeEvent, ProbeInstance, ProbeResult } from "../../probes/types.ts";
import { type Peer, startPeer, tempDir, waitFor } from "./_peers.ts";

const N = 3;
const client = (i: number) => `http://127.0.0.1:${22401 + i}`;
const peerUrl = (i: number) => `http://127.0.0.1:${22501 + i}`;
const cluster = Array.from({ length: N }, (_, i) => `m${i}=${peerUrl(i)}`).join(",");
const env = { net: nodeNet, now: () => Date.now(), log: () => {} };
const TIMEOUT = 1500;

describe("etcd probe against a 3-member etcd 3.4 cluster", () => {
  const dir = tempDir("edgeprobe-etcd-");
  const members: Array<Peer | undefined> = [];
  const start = (i: number) => {
    members[i] = startPeer(`etcd m${i}`, "etcd", [
      "--name", `m${i}`,
      "--data-dir", `${dir.path}/m${i}`,
      "--listen-client-urls", client(i),
      "--advertise-client-urls", client(i),
      "--listen-peer-urls", peerUrl(i),
      "--initial-advertise-peer-urls", peerUrl(i),
      "--initial-cluster", cluster,
      "--initial-cluster-state", "new",
      "--initial-cluster-token", "edgeprobe-test",
      // Fast elections keep the test short (etcd tuning guide: election ≥ 5-10 × heartbeat).
      "--heartbeat-interval", "50",
      "--election-timeout", "500",
      "--logger", "zap",
      "--log-outputs", "stderr",
    ]);
  };
  let probe: ProbeInstance;
  const events: ProbeEvent[] = [];
  const run = async (p: ProbeInstance = probe): Promise<ProbeResult> => {
    const r = await runProbe(p, TIMEOUT, systemClock);
    events.push(...(r.events ?? []));
    return r;
  };
  const memberIndexOf = (leaderHex: string, ids: string[]) => ids.indexOf(leaderHex);
  const memberIds: string[] = [];

  before(async () => {
    for (let i = 0; i < N; i++) start(i);
    probe = etcd.create({
      name: "cluster",
      target: client(0),
      intervalMs: 1000,
      timeoutMs: TIMEOUT,
      options: etcd.options.parse({ endpoints: Array.from({ length: N }, (_, i) => client(i)) }),
    }, env);
    await waitFor("a healthy 3-member cluster", 20_000, async () => {
      const r = await run();
      return r.ok && r.facts?.healthyMembers === 3 ? r : undefined;
    }, 200);
    // Member IDs in hex, by index, from each member's own status.
    const http = createHttp1Client({});
    for (let i = 0; i < N; i++) {
      const body = await createEtcdGateway({ endpoint: client(i), http }).call("/v3/maintenance/status", {}, AbortSignal.timeout(2000), "status");
      memberIds.push(BigInt(JSON.parse(new TextDecoder().decode(body)).header.member_id).toString(16));
    }
    http.close();
  });
  after(async () => {
    await probe?.close();
    await Promise.all(members.map((m) => m?.stop("SIGKILL")));
    dir.remove();
  });

  it("reports leader, raft term and index, db size, and a round-trip", async () => {
    const r = await run();
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.match(String(r.facts?.leader), /^[0-9a-f]+$/);
    assert.ok(memberIds.includes(String(r.facts?.leader)), `${r.facts?.leader} not in ${memberIds}`);
    assert.equal(typeof r.facts?.raftTerm, "number");
    assert.equal(typeof r.facts?.raftIndex, "number");
    assert.ok(Number(r.facts?.dbSize) > 0);
    assert.equal(r.facts?.version, "3.4.23");
    assert.ok(Number(r.facts?.roundTripMs) > 0);
  });

  it("leaves no probe key and no lease behind", async () => {
    const http = createHttp1Client({});
    const gw = createEtcdGateway({ endpoint: client(0), http });
    const signal = AbortSignal.timeout(3000);
    const range = decodeRange(await gw.call("/v3/kv/range", { key: encodeBase64("/edgeprobe/probe/"), range_end: encodeBase64("/edgeprobe/probe0") }, signal, "range"));
    const leases = JSON.parse(new TextDecoder().decode(await gw.call("/v3/lease/leases", {}, signal, "leases")));
    http.close();
    assert.deepEqual(range.kvs, []);
    assert.deepEqual(leases.leases ?? [], []);
  });

  it("reports a leader change when the leader is killed, and recovers", async () => {
    const before = await run();
    const old = String(before.facts?.leader);
    const idx = memberIndexOf(old, memberIds);
    assert.ok(idx >= 0);
    events.length = 0;
    const t0 = performance.now();
    await members[idx]!.stop("SIGKILL");
    const r = await waitFor("recovery after the leader was killed", 10_000, async () => {
      const x = await run();
      return x.ok ? x : undefined;
    }, 100);
    const recoveredMs = performance.now() - t0;
    assert.notEqual(r.facts?.leader, old);
    assert.equal(r.facts?.healthyMembers, 2);
    assert.match(String(r.facts?.unhealthy), new RegExp(client(idx).replace(/[.:/]/g, "\\$&")));
    const change = events.find((e) => e.type === "leader-change");
    assert.ok(change, `no leader-change event in ${JSON.stringify(events)}`);
    assert.equal(change!.detail.from, old);
    assert.equal(change!.detail.to, r.facts?.leader);
    console.log(`leader ${old} killed; new leader ${r.facts?.leader} after ${recoveredMs.toFixed(0)} ms`);
    // Bring it back for the next case.
    start(idx);
    await waitFor("3 healthy members again", 15_000, async () => {
      const x = await run();
      return x.ok && x.facts?.healthyMembers === 3 ? x : undefined;
    }, 200);
  });

  it("fails without quorum (two members stopped) and recovers when they return", async () => {
    const survivor = 0;
    const single = etcd.create({ name: "single", target: client(survivor), intervalMs: 1000, timeoutMs: TIMEOUT, options: etcd.options.parse({}) }, env);
    try {
      await Promise.all([members[1]!.stop(), members[2]!.stop()]);
      const r = await waitFor("the cluster probe to fail", 5000, async () => {
        const x = await run();
        return x.ok ? undefined : x;
      });
      assert.equal(r.failure?.kind === "rejected" || r.failure?.kind === "timeout", true, JSON.stringify(r));
      assert.match(r.failure!.message, /Cannot find 2 healthy etcd members: [01] of 3/);
      // The survivor alone: no leader, or its linearizable read times out.
      const s = await waitFor("the survivor to report no leader", 5000, async () => {
        const x = await runProbe(single, TIMEOUT, systemClock);
        return x.ok ? undefined : x;
      });
      assert.ok(s.failure?.reason === "NO_LEADER" || s.failure?.reason === "UNHEALTHY" || s.failure?.kind === "timeout", JSON.stringify(s));
      console.log(`without quorum: cluster probe ${r.failure?.kind} (${r.failure?.reason}); single-member probe ${s.failure?.kind} (${s.failure?.reason})`);
      const t0 = performance.now();
      start(1);
      start(2);
      const back = await waitFor("recovery after restart", 15_000, async () => {
        const x = await run();
        return x.ok ? x : undefined;
      }, 200);
      console.log(`recovered ${(performance.now() - t0).toFixed(0)} ms after restarting two members; healthy ${back.facts?.healthyMembers}`);
      const s2 = await runProbe(single, TIMEOUT, systemClock);
      assert.equal(s2.ok, true, JSON.stringify(s2));
    } finally {
      await single.close();
    }
  });

  it("keeps a self-registration key alive and removes it on stop", async () => {
    const ac = new AbortController();
    const http = createHttp1Client({});
    const gw = createEtcdGateway({ endpoint: client(1), http });
    const read = async () => decodeRange(await gw.call("/v3/kv/range", { key: encodeBase64("/edgeprobe/agents/upf-17") }, AbortSignal.timeout(2000), "range")).kvs;
    let verdict = "UP";
    const reg = startRegistration({
      endpoints: [client(0), client(1), client(2)],
      agentId: "upf-17",
      ttlSeconds: 3,
      summary: () => ({ status: verdict }),
      signal: ac.signal,
    });
    try {
      const kv = await waitFor("the registration key", 3000, async () => (await read())[0]);
      assert.equal(JSON.parse(kv.value).summary.status, "UP");
      assert.equal(kv.lease, reg.leaseId());
      verdict = "DEGRADED";
      // Refreshed at TTL/3 = 1 s: the new summary shows up, and the lease outlives its 3 s TTL.
      await waitFor("the refreshed summary", 3000, async () => {
        const k = (await read())[0];
        return k && JSON.parse(k.value).summary.status === "DEGRADED" ? k : undefined;
      });
      await new Promise((r) => setTimeout(r, 3500));
      assert.equal((await read()).length, 1, "the key expired although it was refreshed");
    } finally {
      ac.abort();
      await reg.stopped;
    }
    assert.deepEqual(await read(), []);
    http.close();
  });
});
