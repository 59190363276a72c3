/** dnsmasq (Debian dnsmasq-base) as an independent authoritative peer for the dns probe. */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { dnsProbe } from "../../probes/dns/mod.ts";
import { runProbe } from "../../probes/run_probe.ts";
import { systemClock } from "../../runtime/clock.ts";
import { nodeNet } from "../../runtime/node_net.ts";
import { type Peer, startPeer, waitFor } from "./_peers.ts";

const PORT = 22653;
const SERVER = `127.0.0.1:${PORT}`;
const env = { net: nodeNet, now: () => Date.now(), log: () => {} };
const once = async (target: string, options: Record<string, unknown>) => {
  const p = dnsProbe.create({ name: "t", target, intervalMs: 1000, timeoutMs: 1000, options: dnsProbe.options.parse(options) }, env);
  return await runProbe(p, 1000, systemClock);
};

describe("dns probe against dnsmasq", () => {
  let dnsmasq: Peer;
  before(async () => {
    dnsmasq = startPeer("dnsmasq", "dnsmasq", [
      "--no-daemon", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--bind-interfaces",
      "--listen-address=127.0.0.1", `--port=${PORT}`, "--user=root",
      // Names under "test" are local: unknown ones get NXDOMAIN, not REFUSED.
      "--local=/test/",
      "--address=/n4.upf.test/10.0.4.1", "--address=/n4.upf.test/fd00::4:1",
      "--srv-host=_sip._udp.ims.test,pcscf.ims.test,5060,10,20",
      "--srv-host=_sip._udp.ims.test,pcscf2.ims.test,5060,20,10",
      "--naptr-record=ims.test,10,50,S,SIP+D2U,,_sip._udp.ims.test",
    ]);
    await waitFor("dnsmasq to answer", 5000, async () => (await once("n4.upf.test", { server: SERVER })).ok || undefined);
  });
  after(async () => await dnsmasq?.stop());

  it("A with the expected address and its TTL", async () => {
    const r = await once("n4.upf.test", { server: SERVER, expect: "10.0.4.1" });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.facts?.answer, "10.0.4.1");
  });
  it("AAAA", async () => {
    const r = await once("n4.upf.test", { type: "AAAA", server: SERVER, expect: "fd00::4:1" });
    assert.equal(r.ok, true, JSON.stringify(r));
  });
  it("SRV: both targets expected", async () => {
    const r = await once("_sip._udp.ims.test", { type: "SRV", server: SERVER, expect: ["10 20 5060 pcscf.ims.test", "20 10 5060 pcscf2.ims.test."] });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.facts?.answers, 2);
  });
  it("NAPTR in zone-file form", async () => {
    const r = await once("ims.test", { type: "NAPTR", server: SERVER, expect: '10 50 "S" "SIP+D2U" "" _sip._udp.ims.test' });
    assert.equal(r.ok, true, JSON.stringify(r));
  });
  it("NXDOMAIN is rejected", async () => {
    const r = await once("nothere.test", { server: SERVER });
    assert.equal(r.failure?.kind, "rejected");
    assert.equal(r.failure?.reason, "NXDOMAIN");
  });
  it("a missing expected answer is rejected", async () => {
    const r = await once("n4.upf.test", { server: SERVER, expect: "10.0.4.2" });
    assert.equal(r.failure?.reason, "UNEXPECTED_ANSWER");
  });
});
