import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { encodeOptionsRequest } from "./request.ts";
import { decodeSipMessage, header, headerParams } from "./message.ts";

const base = {
  requestUri: "sip:127.0.0.1:21060",
  transport: "UDP" as const,
  sentBy: { host: "127.0.0.1", port: 48573 },
  branch: "a5902a8ba8feadcf",
  fromUri: "sip:edgeprobe@127.0.0.1",
  fromTag: "43cf867dec66",
  toUri: "sip:127.0.0.1:21060",
  callId: "f333f2ce255bb09859839328@edgeprobe",
  cseq: 1,
  userAgent: "edgeprobe",
};

describe("encodeOptionsRequest()", () => {
  it("carries the RFC 3261 §8.1.1 minimum header set", () => {
    const text = new TextDecoder().decode(encodeOptionsRequest(base));
    assert.ok(text.startsWith("OPTIONS sip:127.0.0.1:21060 SIP/2.0\r\n"));
    assert.ok(text.endsWith("Content-Length: 0\r\n\r\n"));
    assert.match(text, /\r\nVia: SIP\/2\.0\/UDP 127\.0\.0\.1:48573;branch=z9hG4bKa5902a8ba8feadcf;rport\r\n/);
    assert.match(text, /\r\nMax-Forwards: 70\r\n/);
    assert.match(text, /\r\nFrom: <sip:edgeprobe@127\.0\.0\.1>;tag=43cf867dec66\r\n/);
    assert.match(text, /\r\nTo: <sip:127\.0\.0\.1:21060>\r\n/);
    assert.match(text, /\r\nCSeq: 1 OPTIONS\r\n/);
  });
  it("is what Kamailio answered: the captured request bytes equal ours for the same identifiers", async () => {
    const golden = (await import("./testdata/kamailio_options.json", { with: { type: "json" } })).default;
    assert.equal(new TextDecoder().decode(encodeOptionsRequest(base)), golden.cases[0].request);
  });
  it("brackets IPv6 sent-by and keeps the transport token", () => {
    const msg = decodeSipMessage(encodeOptionsRequest({ ...base, transport: "TCP", sentBy: { host: "::1", port: 5 } }));
    assert.equal(header(msg, "via"), "SIP/2.0/TCP [::1]:5;branch=z9hG4bKa5902a8ba8feadcf;rport");
    assert.equal(headerParams(header(msg, "via")!).get("rport"), "");
  });
});
