import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bodyFraming, HttpParseError, parseRequestHead } from "./http1_head.ts";

const enc = (s: string) => new TextEncoder().encode(s);

describe("parseRequestHead()", () => {
  it("parses a GET with headers", () => {
    const h = parseRequestHead(enc("GET /healthz HTTP/1.1\r\nHost: a\r\nX-A:  b \r\n\r\nrest"), 8192)!;
    assert.equal(h.method, "GET");
    assert.equal(h.target, "/healthz");
    assert.equal(h.version, "1.1");
    assert.deepEqual(h.headers, [["host", "a"], ["x-a", "b"]]);
    assert.equal(h.length, "GET /healthz HTTP/1.1\r\nHost: a\r\nX-A:  b \r\n\r\n".length);
  });
  it("asks for more bytes until the blank line, one byte at a time", () => {
    const full = enc("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    for (let i = 1; i < full.length; i++) assert.equal(parseRequestHead(full.subarray(0, i), 8192), undefined);
    assert.ok(parseRequestHead(full, 8192));
  });
  it("rejects an oversized head with 431 before the end arrives", () => {
    assert.throws(() => parseRequestHead(enc("GET / HTTP/1.1\r\nX: " + "a".repeat(200)), 100), (e) => e instanceof HttpParseError && e.status === 431);
  });
  it("rejects bad request lines, header names and versions", () => {
    assert.throws(() => parseRequestHead(enc("GET /\r\n\r\n"), 8192), (e) => (e as HttpParseError).status === 400);
    assert.throws(() => parseRequestHead(enc("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n"), 8192), (e) => (e as HttpParseError).status === 400);
    assert.throws(() => parseRequestHead(enc("GET / HTTP/2.0\r\n\r\n"), 8192), (e) => (e as HttpParseError).status === 505);
  });
});

describe("bodyFraming()", () => {
  const head = (lines: string) => parseRequestHead(enc(`POST /x HTTP/1.1\r\nHost: a\r\n${lines}\r\n`), 8192)!;
  const status = (lines: string) => {
    try {
      bodyFraming(head(lines));
      return 0;
    } catch (e) {
      return (e as HttpParseError).status;
    }
  };
  it("reads chunked, a content length, or no body", () => {
    assert.deepEqual(bodyFraming(head("Transfer-Encoding: Chunked\r\n")), { kind: "chunked" });
    assert.deepEqual(bodyFraming(head("Content-Length: 5\r\n")), { kind: "length", length: 5 });
    assert.deepEqual(bodyFraming(head("Content-Length: 5, 5\r\nContent-Length: 5\r\n")), { kind: "length", length: 5 });
    assert.deepEqual(bodyFraming(head("")), { kind: "none" });
  });
  it("refuses the heads a front and a back end could frame two ways (RFC 9112 §6.3, §11.2)", () => {
    assert.equal(status("Content-Length: 5\r\nContent-Length: 6\r\n"), 400);
    assert.equal(status("Content-Length: 5, 6\r\n"), 400);
    assert.equal(status("Content-Length: +5\r\n"), 400);
    assert.equal(status("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"), 400);
    assert.equal(status("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n"), 400);
    assert.equal(status("Transfer-Encoding: chunked, gzip\r\n"), 400);
    assert.equal(status("Transfer-Encoding: gzip, chunked\r\n"), 501);
    assert.equal(status("Transfer-Encoding: \r\n"), 400);
  });
});
