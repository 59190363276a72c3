import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createSseHub } from "./sse.ts";

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
