import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { limitInFlight } from "./in_flight_limit.ts";

describe("limitInFlight()", () => {
  it("answers 503 problem+json beyond the total and the per-source cap, and frees slots when answered", async () => {
    const gates: Array<() => void> = [];
    const slow = () => new Promise<Response>((r) => gates.push(() => r(new Response("ok"))));
    const h = limitInFlight(slow, () => ({ maxInFlight: 3, maxInFlightPerSource: 2 }));
    const req = () => new Request("http://c/x");
    const a = h(req(), { remoteAddress: "10.0.0.1" });
    const b = h(req(), { remoteAddress: "10.0.0.1" });
    const third = await h(req(), { remoteAddress: "10.0.0.1" });
    assert.equal(third.status, 503);
    assert.equal(third.headers.get("content-type"), "application/problem+json");
    assert.match((await third.json() as { detail: string }).detail, /limits\.maxInFlightPerSource = 2/);
    const c = h(req(), { remoteAddress: "10.0.0.2" });
    const fourth = await h(req(), { remoteAddress: "10.0.0.3" });
    assert.match((await fourth.json() as { detail: string }).detail, /limits\.maxInFlight = 3/);
    assert.equal(h.inFlight(), 3);
    for (const g of gates) g();
    assert.deepEqual(await Promise.all([a, b, c].map(async (p) => (await p).status)), [200, 200, 200]);
    assert.equal(h.inFlight(), 0);
    const again = h(req(), { remoteAddress: "10.0.0.1" });
    gates[gates.length - 1]();
    assert.equal((await again).status, 200);
  });
});
