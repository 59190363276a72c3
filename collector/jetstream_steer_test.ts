import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createSteer, type LeaseHolder, parseLeaseHolder } from "./jetstream_steer.ts";
import { encodeToken, partitionOf } from "./jetstream_keys.ts";

const P = 4;
/** An agent id of partition p. */
const agentOf = (p: number) => {
  for (let i = 0;; i++) if (partitionOf(encodeToken(`upf-${i}`), P) === p) return `upf-${i}`;
};
const flush = () => new Promise((r) => setTimeout(r, 0));

/** The lease bucket as a map the test changes (entries as written, before parsing); counts lookups. */
function world(holders: Record<number, LeaseHolder | undefined>, self = "c1", advertise: string | null = "http://c1.test:9400") {
  let now = 0;
  const lookups: number[] = [];
  const logs: string[] = [];
  let failing = false;
  const held = new Set<number>();
  const steer = createSteer({ partitions: P, collectorId: self, advertise: advertise ?? undefined, ttlMs: 4000 }, {
    holds: (p) => held.has(p),
    lookup: (p) => {
      lookups.push(p);
      // As the store reads an entry: its JSON through parseLeaseHolder.
      const h = holders[p];
      return failing ? Promise.reject(new Error("timeout")) : Promise.resolve(h && parseLeaseHolder(JSON.stringify({ ...h, at: 1 })));
    },
    now: () => now,
    log: (_l, m) => logs.push(m),
  });
  return { steer, lookups, logs, held, advance: (ms: number) => (now += ms), fail: (v: boolean) => (failing = v) };
}

describe("parseLeaseHolder()", () => {
  it("reads owner and a valid url, normalised", () => {
    assert.deepEqual(parseLeaseHolder('{"owner":"c2","at":1,"url":"HTTP://C2.test:9400"}'), { owner: "c2", url: "http://c2.test:9400/" });
    assert.deepEqual(parseLeaseHolder('{"owner":"c2","at":1}'), { owner: "c2" }, "an owner that does not advertise");
    assert.deepEqual(parseLeaseHolder('{"owner":"c2","at":1,"load":0.3}'), { owner: "c2" }, "other fields are not its business");
  });
  it("drops what cannot be a hint: not JSON, no owner, a url that is no http(s) URL or too long", () => {
    assert.equal(parseLeaseHolder("nope"), undefined);
    assert.equal(parseLeaseHolder('{"at":1}'), undefined);
    assert.equal(parseLeaseHolder("null"), undefined);
    assert.deepEqual(parseLeaseHolder('{"owner":"c2","url":"javascript:alert(1)"}'), { owner: "c2" });
    assert.deepEqual(parseLeaseHolder('{"owner":"c2","url":"http://c2/\\r\\nx: y"}'), { owner: "c2", url: "http://c2/x:%20y/" }, "a header-breaking value comes out percent-encoded by the URL serializer");
    assert.deepEqual(parseLeaseHolder(JSON.stringify({ owner: "c2", url: "http://c2/" + "x".repeat(3000) })), { owner: "c2" });
  });
});

describe("createSteer()", () => {
  it("names the holder's URL once it was looked up, in the background; one lookup per partition and TTL", async () => {
    const w = world({ 1: { owner: "c2", url: "http://c2.test:9400/" } });
    const a = agentOf(1);
    assert.equal(w.steer.hint(a), undefined, "not known yet: no hint, the answer does not wait");
    assert.equal(w.steer.hint(a), undefined);
    assert.deepEqual(w.lookups, [1], "one lookup in flight per partition");
    await flush();
    assert.equal(w.steer.hint(a), "http://c2.test:9400/");
    w.advance(3999);
    assert.equal(w.steer.hint(a), "http://c2.test:9400/");
    assert.deepEqual(w.lookups, [1]);
  });

  it("sees a moved lease after the TTL", async () => {
    const holders: Record<number, LeaseHolder | undefined> = { 2: { owner: "c2", url: "http://c2.test:9400/" } };
    const w = world(holders);
    const a = agentOf(2);
    w.steer.hint(a);
    await flush();
    assert.equal(w.steer.hint(a), "http://c2.test:9400/");
    holders[2] = { owner: "c3", url: "http://c3.test:9400/" };
    w.advance(4000);
    assert.equal(w.steer.hint(a), undefined, "stale: looked up again, no hint meanwhile");
    await flush();
    assert.equal(w.steer.hint(a), "http://c3.test:9400/");
    assert.deepEqual(w.lookups, [2, 2]);
  });

  it("names no one for a partition it holds, one without holder or URL, or itself", async () => {
    const w = world({ 0: undefined, 1: { owner: "c2" }, 2: { owner: "c1", url: "http://other.test/" }, 3: { owner: "c9", url: "http://C1.test:9400/" } });
    w.held.add(0);
    for (let p = 0; p < P; p++) w.steer.hint(agentOf(p));
    await flush();
    for (let p = 0; p < P; p++) assert.equal(w.steer.hint(agentOf(p)), undefined, `partition ${p}`);
    assert.deepEqual(w.lookups, [1, 2, 3], "a held partition needs no lookup");
  });

  it("without store.advertise it never steers and never looks anything up", async () => {
    const w = world({ 1: { owner: "c2", url: "http://c2.test:9400/" } }, "c1", null);
    w.steer.hint(agentOf(1));
    await flush();
    assert.equal(w.steer.hint(agentOf(1)), undefined);
    assert.deepEqual(w.lookups, []);
  });

  it("a lookup that fails: no hint, one log line for the episode, tried again after the TTL", async () => {
    const w = world({ 1: { owner: "c2", url: "http://c2.test:9400/" }, 3: { owner: "c2", url: "http://c2.test:9400/" } });
    w.fail(true);
    w.steer.hint(agentOf(1));
    w.steer.hint(agentOf(3));
    await flush();
    assert.equal(w.steer.hint(agentOf(1)), undefined);
    assert.deepEqual(w.lookups, [1, 3], "not retried before the TTL");
    assert.equal(w.logs.length, 1);
    w.fail(false);
    w.advance(4000);
    w.steer.hint(agentOf(1));
    await flush();
    assert.equal(w.steer.hint(agentOf(1)), "http://c2.test:9400/");
    assert.equal(w.logs.length, 2, "and one line when it works again");
  });
});
