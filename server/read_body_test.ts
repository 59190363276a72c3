import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readBodyCapped } from "./read_body.ts";
import { concatBytes } from "../common/bytes.ts";

const post = (body: BodyInit | ReadableStream<Uint8Array> | null, headers: Record<string, string> = {}) =>
  new Request("http://x/", { method: "POST", body, headers, ...(body instanceof ReadableStream ? { duplex: "half" } : {}) } as RequestInit);

/** A body sent in `n` chunks of `size` bytes; counts how many chunks the reader pulled and whether it cancelled. */
function chunked(n: number, size: number) {
  const seen = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (seen.pulled === n) return c.close();
      c.enqueue(new Uint8Array(size).fill(seen.pulled++ & 0xff));
    },
    cancel() {
      seen.cancelled = true;
    },
  }, { highWaterMark: 0 });
  return { stream, seen };
}

describe("readBodyCapped()", () => {
  it("returns the bytes of a body within the cap, an empty array for none", async () => {
    assert.deepEqual(await readBodyCapped(post("hello"), 5), new TextEncoder().encode("hello"));
    assert.deepEqual(await readBodyCapped(new Request("http://x/"), 5), new Uint8Array(0));
    const { stream } = chunked(3, 4);
    const got = await readBodyCapped(post(stream), 12);
    assert.deepEqual(got, concatBytes([new Uint8Array(4), new Uint8Array(4).fill(1), new Uint8Array(4).fill(2)]));
  });
  it("refuses a declared length over the cap without reading", async () => {
    const { stream, seen } = chunked(1000, 1024);
    assert.equal(await readBodyCapped(post(stream, { "content-length": "1024000" }), 4096), undefined);
    assert.equal(seen.pulled, 0);
  });
  it("stops at the first chunk past the cap and cancels the stream (hostile: 1 GB announced by nothing)", async () => {
    const { stream, seen } = chunked(1 << 20, 1024);
    assert.equal(await readBodyCapped(post(stream), 10 * 1024), undefined);
    assert.equal(seen.pulled, 11, "read one chunk past the cap, no more");
    assert.equal(seen.cancelled, true);
  });
  it("on abort stops reading, cancels the stream and throws the reason", async () => {
    const seen = { cancelled: false };
    const stream = new ReadableStream<Uint8Array>({ start(c) { c.enqueue(new Uint8Array(8)); }, cancel() { seen.cancelled = true; } });
    const ac = new AbortController();
    const p = readBodyCapped(post(stream), 1024, ac.signal);
    setTimeout(() => ac.abort(new Error("client gone")), 10);
    await assert.rejects(p, /client gone/);
    assert.equal(seen.cancelled, true);
    await assert.rejects(readBodyCapped(post("x"), 10, AbortSignal.abort(new Error("already"))), /already/);
  });
});
