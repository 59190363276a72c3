import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { answer } from "./reflector.ts";
import { decodeSipMessage, header, headerParams, type SipRequest } from "./message.ts";
import golden from "./testdata/kamailio_options.json" with { type: "json" };

const enc = (s: string) => new TextEncoder().encode(s);
const request = (text: string) => decodeSipMessage(enc(text)) as SipRequest;
const options = request(golden.cases[0].request);
const source = { address: "127.0.0.1", port: 40001 };

describe("sip reflector answer()", () => {
  it("answers OPTIONS 200 with the §11.2 capability headers, Via stamped per RFC 3581", () => {
    const res = decodeSipMessage(answer(options, source, 200)!);
    assert.equal(res.type === "response" && res.status, 200);
    const via = headerParams(header(res, "via")!);
    assert.equal(via.get("rport"), "40001");
    assert.equal(via.get("received"), "127.0.0.1");
    assert.equal(via.get("branch"), "z9hG4bKa5902a8ba8feadcf");
    assert.ok(headerParams(header(res, "to")!).get("tag"));
    assert.equal(header(res, "call-id"), header(options, "call-id"));
    assert.equal(header(res, "cseq"), "1 OPTIONS");
    for (const h of ["allow", "accept", "accept-encoding", "accept-language", "supported"]) assert.ok(res.headers.has(h), h);
  });
  it("answers a chosen code with Retry-After", () => {
    const res = decodeSipMessage(answer(options, source, 503, 30)!);
    assert.equal(res.type === "response" && res.status, 503);
    assert.equal(header(res, "retry-after"), "30");
  });
  it("answers other methods 405 with Allow, and ACK not at all", () => {
    const invite = request(golden.cases[0].request.replace(/OPTIONS/g, "INVITE"));
    const res = decodeSipMessage(answer(invite, source, 200)!);
    assert.equal(res.type === "response" && res.status, 405);
    assert.equal(header(res, "allow"), "OPTIONS");
    assert.equal(answer(request(golden.cases[0].request.replace(/OPTIONS/g, "ACK")), source, 200), undefined);
  });
});
