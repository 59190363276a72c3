import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { dnsProbe } from "./mod.ts";
import { formatNaptr, formatSrv, normaliseExpected } from "./answers.ts";
import { nodeNet } from "../../runtime/node_net.ts";
import { runProbe } from "../run_probe.ts";
import { systemClock } from "../../runtime/clock.ts";

// Area port range 22000-22999; this file uses 2212x.
const PORT = 22121;
const SERVER = `127.0.0.1:${PORT}`;
const env = { net: nodeNet, now: () => Date.now(), log: () => {} };

/** RFC 1035 §3.1 name: length-prefixed labels ending in a zero octet. */
function encodeName(name: string): number[] {
  return [...name.split(".").flatMap((l) => [l.length, ...new TextEncoder().encode(l)]), 0];
}
const u16 = (n: number) => [n >> 8, n & 0xff];

/**
 * A tiny authoritative test peer (RFC 1035 §4.1): echoes the question, answers from a fixed zone,
 * NXDOMAIN (RCODE 3) for names it does not know, and stays silent for "slow.test".
 */
function answer(query: Buffer): Buffer | undefined {
  let o = 12;
  const labels: string[] = [];
  while (query[o] !== 0) {
    labels.push(query.subarray(o + 1, o + 1 + query[o]).toString());
    o += query[o] + 1;
  }
  const qname = labels.join(".").toLowerCase();
  const qtype = query.readUInt16BE(o + 1);
  const question = [...query.subarray(12, o + 5)];
  if (qname === "slow.test") return undefined;
  const rr = (type: number, rdata: number[]) => [0xc0, 12, ...u16(type), ...u16(1), 0, 0, 0, 60, ...u16(rdata.length), ...rdata];
  const answers: number[][] = [];
  let rcode = 0;
  if (qname === "a.test" && qtype === 1) answers.push(rr(1, [10, 1, 2, 3]), rr(1, [10, 1, 2, 4]));
  else if (qname === "_sip._udp.a.test" && qtype === 33) answers.push(rr(33, [...u16(10), ...u16(20), ...u16(5060), ...encodeName("sip.a.test")]));
  else if (qname !== "a.test" && qname !== "_sip._udp.a.test") rcode = 3;
  const flags = 0x8400 | (query.readUInt16BE(2) & 0x0100) | rcode; // QR, AA, RD copied
  return Buffer.from([...query.subarray(0, 2), ...u16(flags), ...u16(1), ...u16(answers.length), 0, 0, 0, 0, ...question, ...answers.flat()]);
}

async function once(target: string, options: Record<string, unknown>, timeoutMs = 1000) {
  const p = dnsProbe.create({ name: "t", target, intervalMs: 1000, timeoutMs, options: dnsProbe.options.parse(options) }, env);
  return await runProbe(p, timeoutMs, systemClock);
}

describe("dns probe against a test responder", () => {
  let sock: dgram.Socket;
  before(async () => {
    sock = dgram.createSocket("udp4");
    sock.on("message", (msg, rinfo) => {
      const a = answer(msg);
      if (a) sock.send(a, rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => sock.bind(PORT, "127.0.0.1", r));
  });
  after(() => sock.close());

  it("resolves A records and checks the expected ones", async () => {
    const r = await once("a.test", { server: SERVER, expect: ["10.1.2.4", "10.1.2.3"] });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.facts?.answers, 2);
    assert.equal(r.facts?.ttl, 60);
  });
  it("rejects an answer that lacks an expected address", async () => {
    const r = await once("a.test", { server: SERVER, expect: "10.9.9.9" });
    assert.equal(r.failure?.kind, "rejected");
    assert.equal(r.failure?.reason, "UNEXPECTED_ANSWER");
    assert.match(r.failure!.message, /"10\.9\.9\.9"/);
  });
  it("resolves SRV in presentation form", async () => {
    const r = await once("_sip._udp.a.test", { type: "SRV", server: SERVER, expect: "10 20 5060 sip.a.test." });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.facts?.answer, "10 20 5060 sip.a.test");
  });
  it("reports NXDOMAIN as rejected", async () => {
    const r = await once("nx.test", { server: SERVER });
    assert.equal(r.failure?.kind, "rejected");
    assert.equal(r.failure?.reason, "NXDOMAIN");
  });
  it("times out within the run budget when the server is silent", async () => {
    const t0 = performance.now();
    const r = await once("slow.test", { server: SERVER }, 400);
    assert.equal(r.failure?.kind, "timeout");
    assert.ok(performance.now() - t0 < 2000);
  });
  it("refuses an unknown option and an unknown type", () => {
    assert.equal(dnsProbe.options.safeParse({ type: "MX" }).success, false);
    assert.equal(dnsProbe.options.safeParse({ srv: "x" }).success, false);
  });
});

describe("answer formatting", () => {
  it("formats SRV and NAPTR like a zone file, without the root dot", () => {
    assert.equal(formatSrv({ priority: 0, weight: 5, port: 5060, name: "sip.example.org." }), "0 5 5060 sip.example.org");
    // RFC 3403 §6.2 example: IN NAPTR 100 10 "" "" "!^urn:cid:.+@([^\.]+\.)(.*)$!\2!i" .
    assert.equal(
      formatNaptr({ order: 100, preference: 10, flags: "", service: "", regexp: "!^urn:cid:.+@([^\\.]+\\.)(.*)$!\\2!i", replacement: "" }),
      '100 10 "" "" "!^urn:cid:.+@([^\\\\.]+\\\\.)(.*)$!\\\\2!i" .',
    );
    assert.equal(normaliseExpected("NAPTR", '100  10 "S" "SIP+D2U" "" _sip._udp.EXAMPLE.com.'), '100 10 "S" "SIP+D2U" "" _sip._udp.example.com');
  });
});
