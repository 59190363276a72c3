import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { guard, headBytes } from "./guard.ts";

const limits = { requestTimeoutMs: 200, maxHeaderBytes: 256, maxBodyBytes: 16 };
const echo = guard(limits, async (req) => new Response(`${req.method} ${new URL(req.url).pathname} ${req.body ? await req.text() : ""}`));

describe("guard()", () => {
  it("passes a request within every limit to the handler, body included", async () => {
    assert.equal(await (await echo(new Request("http://a/x", { method: "POST", body: "hello" }))).text(), "POST /x hello");
  });

  it("answers 431 problem+json to a head over maxHeaderBytes", async () => {
    const res = await echo(new Request("http://a/x", { headers: { "x-big": "a".repeat(300) } }));
    assert.equal(res.status, 431);
    assert.equal(res.headers.get("content-type"), "application/problem+json");
    assert.equal((await res.json()).status, 431);
  });

  it("answers 413 to a declared length over the limit without reading it", async () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({ pull: (c) => void (pulled++, c.enqueue(new Uint8Array(8))) });
    const res = await echo(new Request("http://a/x", { method: "POST", headers: { "content-length": "1000000" }, body, duplex: "half" } as RequestInit));
    assert.equal(res.status, 413);
    assert.ok(pulled <= 1, `read ${pulled} chunks`);
  });

  it("answers 413 to an undeclared body once it passes the limit, reading no further", async () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({ pull: (c) => void (pulled++, c.enqueue(new Uint8Array(8))) });
    const res = await echo(new Request("http://a/x", { method: "POST", body, duplex: "half" } as RequestInit));
    assert.equal(res.status, 413);
    assert.ok(pulled <= 4, `read ${pulled} chunks`);
  });

  it("answers 504 TIMED_OUT_REQUEST within 3gpp-Sbi-Max-Rsp-Time", async () => {
    const slow = guard(limits, () => new Promise((r) => setTimeout(() => r(new Response("late")), 1000)));
    const t0 = performance.now();
    const res = await slow(new Request("http://a/slow", { headers: { "3gpp-Sbi-Max-Rsp-Time": "30" } }));
    assert.equal(res.status, 504);
    assert.equal((await res.json()).cause, "TIMED_OUT_REQUEST");
    assert.ok(performance.now() - t0 < 150);
  });

  it("counts the head as HTTP/1.1 would carry it", () => {
    assert.equal(headBytes(new Request("http://a/p?q=1", { headers: { ab: "cd" } })), "GET".length + "/p?q=1".length + 12 + 2 + 2 + 4);
  });
});
