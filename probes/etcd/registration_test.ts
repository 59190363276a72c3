import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { startRegistration } from "./registration.ts";
import { decodeBase64 } from "./gateway_codec.ts";

// Area port range 22000-22999; this file uses 2216x. The real-etcd case is in tests/sbietcd/.
const PORT = 22161;
const DEAD = "http://127.0.0.1:22169"; // nothing listens: the helper must move on

describe("startRegistration() against a stand-in gateway", () => {
  let server: http.Server;
  const log: string[] = [];
  let leases = 0;
  let expireNext = false;
  const puts: Array<{ key: string; value: string; lease: string }> = [];
  const revoked: string[] = [];
  before(async () => {
    server = http.createServer((req, res) => {
      let raw = "";
      req.on("data", (d) => raw += d);
      req.on("end", () => {
        const body = JSON.parse(raw || "{}");
        const header = { cluster_id: "1", member_id: "2", revision: "3", raft_term: "4" };
        log.push(req.url ?? "");
        res.writeHead(200, { "content-type": "application/json" });
        switch (req.url) {
          case "/v3/lease/grant":
            leases++;
            res.end(JSON.stringify({ header, ID: `922337203685477580${leases}`, TTL: String(body.TTL) }));
            return;
          case "/v3/lease/keepalive":
            // etcd 3.4 answers an expired lease with 200 and no TTL (docs/protocols.md A7).
            res.end(JSON.stringify({ result: expireNext ? { header, ID: body.ID } : { header, ID: body.ID, TTL: "3" } }) + "\n");
            expireNext = false;
            return;
          case "/v3/kv/put":
            puts.push({ key: decodeBase64(body.key, "k"), value: decodeBase64(body.value, "v"), lease: body.lease });
            res.end(JSON.stringify({ header }));
            return;
          case "/v3/lease/revoke":
            revoked.push(String(body.ID));
            res.end(JSON.stringify({ header }));
            return;
          default:
            res.end(JSON.stringify({ header }));
        }
      });
    });
    await new Promise<void>((r) => server.listen(PORT, "127.0.0.1", r));
  });
  after(async () => {
    server.closeAllConnections?.();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it("writes the summary under a lease, re-grants an expired lease, and revokes on stop", async () => {
    const ac = new AbortController();
    let n = 0;
    const reg = startRegistration({
      endpoints: [DEAD, `http://127.0.0.1:${PORT}`],
      agentId: "upf-17",
      ttlSeconds: 3,
      refreshMs: 30,
      summary: () => ({ status: "UP", n: ++n }),
      signal: ac.signal,
    });
    const until = async (cond: () => boolean) => {
      for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(cond());
    };
    await until(() => puts.length >= 2);
    assert.equal(reg.key, "/edgeprobe/agents/upf-17");
    assert.equal(puts[0].key, "/edgeprobe/agents/upf-17");
    assert.equal(puts[0].lease, "9223372036854775801", "the lease ID must travel as the exact string");
    assert.equal(JSON.parse(puts[0].value).summary.status, "UP");
    assert.ok(reg.counts().failed >= 1, "the dead endpoint was tried first");
    expireNext = true;
    await until(() => leases === 2 && puts.at(-1)!.lease === "9223372036854775802");
    ac.abort();
    await reg.stopped;
    assert.deepEqual(revoked, ["9223372036854775802"], "the current lease is revoked once");
    // A put aborted in flight may still reach the stand-in after the revoke (its body was sent
    // on another connection; CI run of stop 22 on Deno saw exactly that). Real etcd then refuses
    // it for the revoked lease, so the key stays gone. No grant or keep-alive may follow.
    const after = log.slice(log.indexOf("/v3/lease/revoke") + 1);
    assert.ok(after.every((url) => url === "/v3/kv/put"), `after the revoke: ${after.join(", ")}`);
    assert.equal(reg.leaseId(), undefined);
  });

  it("refuses an agent id that would escape its key prefix", () => {
    assert.throws(() => startRegistration({ endpoints: [DEAD], agentId: "a/../b", summary: () => ({}), signal: AbortSignal.abort() }), /agent id/);
  });
});
