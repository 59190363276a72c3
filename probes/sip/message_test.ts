import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeSipMessage, header, headerParams, parseCSeq, splitHeaderList } from "./message.ts";
import { DecodeError } from "../errors.ts";
import golden from "./testdata/kamailio_options.json" with { type: "json" };

const enc = (s: string) => new TextEncoder().encode(s);

describe("decodeSipMessage()", () => {
  for (const c of golden.cases) {
    it(`decodes Kamailio's ${c.name}`, () => {
      const msg = decodeSipMessage(enc(c.response));
      assert.equal(msg.type, "response");
      if (msg.type !== "response") return;
      const status = Number(c.response.slice(8, 11));
      assert.equal(msg.status, status);
      assert.equal(header(msg, "server"), "kamailio (5.6.3 (x86_64/linux))");
      const via = headerParams(header(msg, "via")!);
      assert.match(via.get("branch")!, /^z9hG4bK[0-9a-f]{16}$/);
      assert.equal(via.get("received"), "127.0.0.1");
      assert.match(via.get("rport")!, /^\d+$/);
      assert.deepEqual(parseCSeq(header(msg, "cseq")!), { seq: 1, method: "OPTIONS" });
      if (status === 503) assert.equal(header(msg, "retry-after"), "30");
      if (status === 200) assert.deepEqual(msg.headers.get("accept"), ["*/*"]);
    });
    it(`decodes our request of ${c.name} as an OPTIONS request`, () => {
      const msg = decodeSipMessage(enc(c.request));
      assert.equal(msg.type, "request");
      if (msg.type === "request") assert.equal(msg.method, "OPTIONS");
    });
  }

  it("expands compact header forms and splits comma lists (RFC 3261 §7.3.1, §7.3.3)", () => {
    const msg = decodeSipMessage(enc(
      "SIP/2.0 200 OK\r\nv: SIP/2.0/UDP a:1;branch=z9hG4bK1, SIP/2.0/UDP b:2;branch=z9hG4bK2\r\ni: abc\r\nl: 0\r\n" +
        "Allow: INVITE,\r\n OPTIONS\r\nf: \"Doe, John\" <sip:j@x>;tag=1\r\n\r\n",
    ));
    assert.equal(msg.headers.get("via")!.length, 2);
    assert.equal(header(msg, "call-id"), "abc");
    assert.deepEqual(msg.headers.get("allow"), ["INVITE", "OPTIONS"]);
    assert.equal(header(msg, "from"), "\"Doe, John\" <sip:j@x>;tag=1");
    assert.equal(headerParams(header(msg, "from")!).get("tag"), "1");
  });

  it("skips CRLFs before the start line (RFC 3261 §7.5)", () => {
    const msg = decodeSipMessage(enc("\r\n\r\nSIP/2.0 404 Not Found\r\nContent-Length: 0\r\n\r\n"));
    assert.equal(msg.type === "response" && msg.status, 404);
  });

  it("rejects a body shorter than Content-Length", () => {
    assert.throws(() => decodeSipMessage(enc("SIP/2.0 200 OK\r\nContent-Length: 10\r\n\r\nabc")), /Content-Length 10 exceeds the 3 bytes/);
  });
  it("rejects a non-SIP start line", () => {
    assert.throws(() => decodeSipMessage(enc("HTTP/1.1 200 OK\r\n\r\n")), DecodeError);
  });
  it("rejects a header line without a colon", () => {
    assert.throws(() => decodeSipMessage(enc("SIP/2.0 200 OK\r\nnonsense\r\n\r\n")), /has no "name:"/);
  });
  it("rejects bytes that are not UTF-8", () => {
    assert.throws(() => decodeSipMessage(new Uint8Array([0x53, 0xff, 0xfe, 13, 10, 13, 10])), /not valid UTF-8/);
  });
  it("rejects a message with no end of headers", () => {
    assert.throws(() => decodeSipMessage(enc("SIP/2.0 200 OK\r\nVia: x")), /no empty line/);
  });
  it("throws only DecodeError on arbitrary bytes (property)", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      try {
        decodeSipMessage(b);
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
      }
    }), { numRuns: 500 });
  });
  it("throws only DecodeError on SIP-like text (property)", () => {
    const line = fc.constantFrom("Via: SIP/2.0/UDP a;branch=z9hG4bK1", "CSeq: 1 OPTIONS", "l: 3", "Content-Length: x", " folded", "bad", "To: <sip:a>", ":", "");
    fc.assert(fc.property(fc.constantFrom("SIP/2.0 200 OK", "OPTIONS sip:a SIP/2.0", "SIP/2.0 99 x", "junk"), fc.array(line, { maxLength: 6 }), fc.string({ maxLength: 5 }), (start, lines, body) => {
      try {
        decodeSipMessage(enc([start, ...lines].join("\r\n") + "\r\n\r\n" + body));
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
      }
    }), { numRuns: 500 });
  });
});

describe("parseCSeq()", () => {
  it("rejects a CSeq without a method", () => {
    assert.throws(() => parseCSeq("12"), DecodeError);
  });
});

describe("splitHeaderList()", () => {
  it("keeps commas inside quotes and angle brackets", () => {
    assert.deepEqual(splitHeaderList('"a,b" <sip:x;p=1,2>, <sip:y>'), ['"a,b" <sip:x;p=1,2>', "<sip:y>"]);
  });
});
