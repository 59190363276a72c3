import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import https from "node:https";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { etcd } from "./mod.ts";
import { nodeNet } from "../../runtime/node_net.ts";
import { runProbe } from "../run_probe.ts";
import { systemClock } from "../../runtime/clock.ts";

// Area port range 22000-22999; this file uses 2215x. Real etcd runs in tests/sbietcd/; this
// stand-in answers with bodies shaped like etcd 3.4.23's (testdata/gateway.json) to drive the
// probe's own logic (leader change, no leader, token refresh, TLS) on both runtimes.
const PORT = 22151;
const CA = fileURLToPath(new URL("../_http/testdata/localhost.crt", import.meta.url));
const KEY = fileURLToPath(new URL("../_http/testdata/localhost.key", import.meta.url));
const env = { net: nodeNet, now: () => Date.now(), log: () => {} };
const LEASE = "2228897046463807238"; // above 2^53, as real etcd hands out

const state = {
  leader: "11417610130673999598",
  term: "2",
  token: "tok.1",
  revoked: [] as string[],
  kv: new Map<string, { value: string; lease: string }>(),
  calls: [] as string[],
  garbage: false,
};

function handle(path: string, auth: string | undefined, body: Record<string, unknown>): [number, unknown] {
  const header = { cluster_id: "14443903163313418560", member_id: "11417610130673999598", revision: "7", raft_term: state.term };
  if (path === "/v3/auth/authenticate") {
    return body.password === "pw" ? [200, { header, token: state.token }] : [400, { error: "etcdserver: authentication failed, invalid user ID or password", message: "etcdserver: authentication failed, invalid user ID or password", code: 3 }];
  }
  if (path === "/v3/maintenance/status") {
    return [200, { header, version: "3.4.23", dbSize: "20480", ...(state.leader !== "0" ? { leader: state.leader } : {}), raftIndex: "42", raftTerm: state.term }];
  }
  if (auth !== state.token) return [401, { error: "etcdserver: invalid auth token", message: "etcdserver: invalid auth token", code: 16 }];
  switch (path) {
    case "/v3/lease/grant":
      return [200, { header, ID: LEASE, TTL: String(body.TTL) }];
    case "/v3/kv/put":
      if (body.lease !== LEASE) return [404, { error: "etcdserver: requested lease not found", message: "etcdserver: requested lease not found", code: 5 }];
      state.kv.set(String(body.key), { value: String(body.value), lease: String(body.lease) });
      return [200, { header }];
    case "/v3/kv/range": {
      const kv = state.kv.get(String(body.key));
      return [200, kv ? { header, kvs: [{ key: body.key, create_revision: "7", mod_revision: "7", version: "1", value: kv.value, lease: kv.lease }], count: "1" } : { header }];
    }
    case "/v3/lease/revoke":
      state.revoked.push(String(body.ID));
      for (const [k, v] of state.kv) if (v.lease === body.ID) state.kv.delete(k);
      return [200, { header }];
  }
  return [404, { error: "not found", message: "not found", code: 5 }];
}

describe("etcd probe logic against a TLS stand-in gateway", () => {
  let server: https.Server;
  before(async () => {
    server = https.createServer({ key: readFileSync(KEY), cert: readFileSync(CA) }, (req, res) => {
      let raw = "";
      req.on("data", (d) => raw += d);
      req.on("end", () => {
        state.calls.push(req.url ?? "");
        if (state.garbage) {
          res.writeHead(200, { "content-type": "application/json" });
          res.end("<html>proxy error</html>");
          return;
        }
        if (req.url === "/health") {
          res.writeHead(state.leader === "0" ? 503 : 200, { "content-type": "text/plain" });
          res.end(state.leader === "0" ? '{"health":"false"}' : '{"health":"true"}');
          return;
        }
        const [status, out] = handle(req.url ?? "", req.headers.authorization, raw ? JSON.parse(raw) : {});
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(out));
      });
    });
    await new Promise<void>((r) => server.listen(PORT, "127.0.0.1", r));
  });
  after(async () => {
    server.closeAllConnections?.();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const make = (options: Record<string, unknown>) =>
    etcd.create({ name: "unit", target: `https://127.0.0.1:${PORT}`, intervalMs: 1000, timeoutMs: 2000, options: etcd.options.parse({ tls: { ca: CA }, ...options }) }, env);

  it("round-trips through a lease, sends the lease ID back exactly, and revokes it", async () => {
    const p = make({ username: "probe", password: "pw" });
    try {
      const r = await runProbe(p, 2000, systemClock);
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.equal(r.facts?.leader, "9e737febb6b99eee");
      assert.equal(r.facts?.raftIndex, 42);
      assert.deepEqual(state.revoked, [LEASE]);
      assert.equal(state.kv.size, 0);
    } finally {
      await p.close();
    }
  });

  it("authenticates again once when the token went stale", async () => {
    const p = make({ username: "probe", password: "pw" });
    try {
      assert.equal((await runProbe(p, 2000, systemClock)).ok, true);
      state.token = "tok.2";
      const before = state.calls.filter((c) => c === "/v3/auth/authenticate").length;
      const r = await runProbe(p, 2000, systemClock);
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.equal(state.calls.filter((c) => c === "/v3/auth/authenticate").length, before + 1);
    } finally {
      await p.close();
    }
  });

  it("rejects a wrong password with reason AUTH_FAILED", async () => {
    const p = make({ username: "probe", password: "nope" });
    try {
      const r = await runProbe(p, 2000, systemClock);
      assert.equal(r.failure?.kind, "rejected");
      assert.equal(r.failure?.reason, "AUTH_FAILED");
      assert.doesNotMatch(r.failure!.message, /nope/);
    } finally {
      await p.close();
    }
  });

  it("reports a leader change as an event and keeps the facts", async () => {
    state.leader = "11417610130673999598";
    const p = make({ username: "probe", password: "pw", roundTrip: false });
    try {
      assert.equal((await runProbe(p, 2000, systemClock)).events, undefined);
      state.leader = "6449848413577066706";
      state.term = "3";
      const r = await runProbe(p, 2000, systemClock);
      assert.equal(r.ok, true);
      assert.deepEqual(r.events, [{ type: "leader-change", detail: { from: "9e737febb6b99eee", to: "598276f59a60b8d2", raftTerm: 3 } }]);
    } finally {
      await p.close();
    }
  });

  it("fails with NO_LEADER when the member reports none", async () => {
    state.leader = "0";
    const p = make({});
    try {
      const r = await runProbe(p, 2000, systemClock);
      assert.equal(r.failure?.kind, "rejected");
      assert.equal(r.failure?.reason, "NO_LEADER");
      assert.equal(r.facts?.raftTerm, 3);
    } finally {
      state.leader = "11417610130673999598";
      await p.close();
    }
  });

  it("reports a gateway that answers garbage as malformed", async () => {
    state.garbage = true;
    const p = make({});
    try {
      const r = await runProbe(p, 2000, systemClock);
      assert.equal(r.failure?.kind, "malformed", JSON.stringify(r));
    } finally {
      state.garbage = false;
      await p.close();
    }
  });

  it("rejects a gateway certificate it cannot verify", async () => {
    const p = etcd.create({ name: "unit", target: `https://127.0.0.1:${PORT}`, intervalMs: 1000, timeoutMs: 2000, options: etcd.options.parse({}) }, env);
    try {
      const r = await runProbe(p, 2000, systemClock);
      assert.equal(r.failure?.kind, "rejected");
      assert.match(r.failure!.message, /TLS certificate/);
    } finally {
      await p.close();
    }
  });

  it("validates its options", () => {
    assert.equal(etcd.options.safeParse({ username: "a" }).success, false);
    assert.equal(etcd.options.safeParse({ leaseTtl: 1 }).success, false);
    assert.deepEqual(etcd.options.parse({ endpoints: "http://a:2379, http://b:2379" }).endpoints, ["http://a:2379", "http://b:2379"]);
  });
});
