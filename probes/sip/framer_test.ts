import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { SipFramer, sipFrameLength } from "./framer.ts";
import { DecodeError } from "../errors.ts";
import golden from "./testdata/kamailio_options.json" with { type: "json" };

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const tcpResponses = golden.cases.filter((c) => c.transport === "tcp").map((c) => c.response);
const withBody = "SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP a:1;branch=z9hG4bK1\r\nContent-Type: application/sdp\r\nl: 12\r\n\r\nv=0\r\no=x 1\r\n";

describe("SipFramer", () => {
  it("frames Kamailio's TCP answers fed one byte at a time", () => {
    const f = new SipFramer();
    const all = enc(tcpResponses.join("") + withBody);
    const out: string[] = [];
    for (const b of all) out.push(...f.push(new Uint8Array([b])).map(dec));
    assert.deepEqual(out, [...tcpResponses, withBody]);
    assert.equal(f.pending, 0);
  });
  it("splits messages merged into one read, body included", () => {
    const f = new SipFramer();
    const out = f.push(enc(withBody + tcpResponses[0] + withBody)).map(dec);
    assert.deepEqual(out, [withBody, tcpResponses[0], withBody]);
  });
  it("holds a message until its Content-Length body is complete", () => {
    const f = new SipFramer();
    assert.deepEqual(f.push(enc(withBody.slice(0, -3))), []);
    assert.deepEqual(f.push(enc(withBody.slice(-3))).map(dec), [withBody]);
  });
  it("skips CRLF keep-alives between messages (RFC 5626 §3.5.1)", () => {
    const f = new SipFramer();
    assert.deepEqual(f.push(enc("\r\n\r\n" + tcpResponses[1] + "\r\n")).map(dec), [tcpResponses[1]]);
  });
  it("frames identically however the stream is cut (property)", () => {
    const all = enc(tcpResponses.join("") + withBody);
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: all.length }), { maxLength: 20 }), (cuts) => {
      const f = new SipFramer();
      const points = [...new Set(cuts)].sort((a, b) => a - b);
      const out: string[] = [];
      let prev = 0;
      for (const p of [...points, all.length]) {
        out.push(...f.push(all.subarray(prev, p)).map(dec));
        prev = p;
      }
      assert.deepEqual(out, [...tcpResponses, withBody]);
    }));
  });
});

describe("sipFrameLength()", () => {
  it("needs Content-Length on a stream (RFC 3261 §18.3)", () => {
    assert.throws(() => sipFrameLength(enc("SIP/2.0 200 OK\r\nVia: x\r\n\r\n")), /no Content-Length/);
  });
  it("rejects a Content-Length that is not a number", () => {
    assert.throws(() => sipFrameLength(enc("SIP/2.0 200 OK\r\nContent-Length: -1\r\n\r\n")), DecodeError);
  });
  it("gives up on headers that never end", () => {
    assert.throws(() => sipFrameLength(new Uint8Array(70_000).fill(65)), /no end of headers/);
  });
  it("returns undefined while the headers are incomplete", () => {
    assert.equal(sipFrameLength(enc("SIP/2.0 200 OK\r\nContent-Length: 0\r\n")), undefined);
  });
});
