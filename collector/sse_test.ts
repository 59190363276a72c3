import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createSseHub } from "./sse.ts";
import type { FleetChange } from "./store.ts";

const change = (i: number): FleetChange => ({ type: "probe-state", node: `upf-${i}`, probe: "n4".padEnd(60, "x"), from: "healthy", to: "unhealthy", at: i });

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
  it("answers 503 problem+json beyond maxClients", () => {
    const hub = createSseHub({ maxClients: 1, heartbeatMs: 60_000 });
    assert.equal(hub.connect().status, 200);
    const r = hub.connect();
    assert.equal(r.status, 503);
    assert.equal(r.headers.get("content-type"), "application/problem+json");
    hub.close();
  });
});
