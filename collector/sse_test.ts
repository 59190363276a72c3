import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createSseHub } from "./sse.ts";
import type { FleetChange } from "./store.ts";

const change = (i: number): FleetChange => ({ type: "probe-state", node: `upf-${i}`, probe: "n4".padEnd(60, "x"), from: "healthy", to: "unhealthy", at: i });

async function read(res: Response, until: RegExp): Promise<string> {
  const reader = res.body!.getReader();
  let text = "";
  const dec = new TextDecoder();
  while (!until.test(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += dec.decode(value);
  }
  await reader.cancel();
  return text;
}

describe("createSseHub()", () => {
  it("closes a client that does not read once its queue passes maxQueuedBytes (bytes, not chunks)", async () => {
    const hub = createSseHub({ maxClients: 4, maxQueuedBytes: 4096, heartbeatMs: 60_000 });
    const slow = hub.connect();
    const fast = hub.connect();
    const reader = fast.body!.getReader();
    let read = 0;
    let published = 0;
    // Each event is about 180 bytes: 4096 bytes hold 22 of them, so the slow client goes at about 23.
    for (; published < 40 && hub.clients() === 2; published++) {
      hub.publish(change(published));
      read += (await reader.read()).value!.byteLength;
    }
    assert.equal(hub.clients(), 1, "the client that never read is gone");
    assert.ok(published >= 20 && published <= 26, `closed after ${published} events of ~180 bytes`);
    assert.ok(read > 0);
    // What it had queued is still readable, then the stream ends.
    const rest = slow.body!.getReader();
    let bytes = 0;
    for (;;) {
      const { done, value } = await rest.read();
      if (done) break;
      bytes += value.byteLength;
    }
    assert.ok(bytes <= 4096 + 64, `queued ${bytes} bytes`);
    await reader.cancel();
    hub.close();
  });
  it("hands a client with nothing queued one event larger than maxQueuedBytes (a grid delta of a whole fleet)", async () => {
    const hub = createSseHub({ maxClients: 2, maxQueuedBytes: 1024, heartbeatMs: 60_000 });
    const res = hub.connect(["grid"]);
    const reader = res.body!.getReader();
    await reader.read(); // "retry:" and ": connected"
    const big = JSON.stringify({ nodes: "x".repeat(4096) });
    hub.publishEvent("grid", big);
    assert.equal(hub.clients(), 1, "still connected");
    let text = "";
    const dec = new TextDecoder();
    while (!text.endsWith("\n\n")) text += dec.decode((await reader.read()).value);
    assert.ok(text.includes(big));
    // A second one while the first is still queued is over the bound: that client goes.
    hub.publishEvent("grid", big);
    hub.publishEvent("grid", big);
    assert.equal(hub.clients(), 0);
    await reader.cancel();
    hub.close();
  });
  it("answers 503 problem+json beyond maxClients", () => {
    const hub = createSseHub({ maxClients: 1, heartbeatMs: 60_000 });
    assert.equal(hub.connect().status, 200);
    const r = hub.connect();
    assert.equal(r.status, 503);
    assert.equal(r.headers.get("content-type"), "application/problem+json");
    hub.close();
  });
  it("sends a client only the event names it asked for, and everything to one that asked for none", async () => {
    const hub = createSseHub({ maxClients: 4 });
    const gridOnly = hub.connect(["grid"]);
    const all = hub.connect();
    hub.publish({ type: "probe-state", node: "upf-1", probe: "n4", from: "healthy", to: "unhealthy", at: 1 });
    hub.publishEvent("grid", '{"from":1,"to":2}');
    const [a, b] = await Promise.all([read(gridOnly, /event: grid/), read(all, /event: grid/)]);
    assert.doesNotMatch(a, /probe-state/);
    assert.match(a, /event: grid\ndata: \{"from":1,"to":2\}\n\n/);
    assert.match(b, /event: probe-state\n/);
    assert.match(b, /event: grid\n/);
    hub.close();
  });
});
