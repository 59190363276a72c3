import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CollectorConfigError, parseCollectorConfig, parseListen } from "./config.ts";

describe("parseCollectorConfig()", () => {
  it("fills defaults and expands ${VAR} from the environment", () => {
    const c = parseCollectorConfig({ auth: { sharedToken: "${TOK}" } }, { TOK: "0123456789abcdef0" });
    assert.equal(c.auth.sharedToken, "0123456789abcdef0");
    assert.deepEqual(c.listen, { hostname: "0.0.0.0", port: 9400 });
    assert.equal(c.limits.maxBodyBytes, 1024 * 1024);
    assert.equal(c.retention.history, 720 * 3_600_000);
  });
  it("names every problem with its path", () => {
    assert.throws(() => parseCollectorConfig({ listen: "nope", auth: {}, stor: {} }, {}, "c.yaml"), (e: CollectorConfigError) => {
      assert.ok(e instanceof CollectorConfigError);
      assert.match(e.message, /^Cannot load collector config c\.yaml:/);
      assert.ok(e.problems.some((p) => p.startsWith("listen: expected host:port")));
      assert.ok(e.problems.some((p) => p.startsWith("stor: unknown key")));
      assert.ok(e.problems.some((p) => p.startsWith("auth: set auth.tokens or auth.sharedToken")));
      return true;
    });
    assert.throws(() => parseCollectorConfig({ auth: { sharedToken: "${NOPE}" } }, {}), /auth\.sharedToken: environment variable NOPE is not set/);
  });
  it("refuses a minute history that a prune interval outlasts (open hours and days read their tail from it)", () => {
    const base = { auth: { sharedToken: "0123456789abcdef0" } };
    assert.throws(
      () => parseCollectorConfig({ ...base, retention: { history: "5m", pruneEvery: "10m" } }, {}),
      /retention: retention\.history must be longer than retention\.pruneEvery/,
    );
    assert.equal(parseCollectorConfig({ ...base, retention: { history: "1h", pruneEvery: "10m" } }, {}).retention.history, 3_600_000);
  });
  it("store: sqlite when kind is omitted, jetstream with its own strict fields", () => {
    const base = { auth: { sharedToken: "0123456789abcdef0" } };
    const a = parseCollectorConfig({ ...base, store: { path: "/tmp/x.db" } }, {});
    assert.deepEqual(a.store, { kind: "sqlite", path: "/tmp/x.db", raw: true, synchronous: "normal", readThread: true });
    const b = parseCollectorConfig({ ...base, store: { kind: "jetstream", servers: ["nats://127.0.0.1:4222", "10.0.0.2:4222"], replicas: 3 } }, {});
    assert.ok(b.store.kind === "jetstream");
    assert.equal(b.store.stream, "EDGEPROBE_TELEMETRY");
    assert.equal(b.store.bucket, "edgeprobe");
    assert.equal(b.store.replicas, 3);
    assert.equal(b.store.readModel, ":memory:");
    assert.equal(b.store.partitions, 16);
    assert.equal(b.store.leaseTtl, 4000);
    assert.equal(b.store.stateEvery, 250);
    assert.equal(b.store.keyTtl, undefined, "defaults to 30 days in the store");
    assert.throws(() => parseCollectorConfig({ ...base, store: { kind: "jetstream", servers: ["a:1"], leaseTtl: "200ms" } }, {}), /leaseTtl must be at least 1s/);
    assert.throws(() => parseCollectorConfig({ ...base, store: { kind: "jetstream", servers: [], path: "/x" } }, {}, "c.yaml"), (e: CollectorConfigError) => {
      assert.ok(e.problems.some((p) => p.startsWith("store.servers")), e.message);
      assert.ok(e.problems.some((p) => p.includes("path")), e.message);
      return true;
    });
    assert.throws(() => parseCollectorConfig({ ...base, store: { kind: "nats" } }, {}), /store/);
    // store.advertise: an http(s) base URL, unset by default (no steering).
    assert.equal(b.store.advertise, undefined);
    const c = parseCollectorConfig({ ...base, store: { kind: "jetstream", servers: ["a:1"], advertise: "https://c2.noc.example:9400" } }, {});
    assert.ok(c.store.kind === "jetstream" && c.store.advertise === "https://c2.noc.example:9400");
    assert.throws(() => parseCollectorConfig({ ...base, store: { kind: "jetstream", servers: ["a:1"], advertise: "c2:9400" } }, {}), /store\.advertise/);
    assert.throws(() => parseCollectorConfig({ ...base, store: { path: "/x.db", advertise: "http://c2:9400" } }, {}), /advertise/, "the SQLite store never steers");
  });
  it("store.balance: spread by default; pack with water marks and a dwell, low below high", () => {
    const base = { auth: { sharedToken: "0123456789abcdef0" } };
    const js = (extra: Record<string, unknown>) => parseCollectorConfig({ ...base, store: { kind: "jetstream", servers: ["a:1"], ...extra } }, {}).store;
    const a = js({});
    assert.ok(a.kind === "jetstream");
    assert.equal(a.balance, "spread");
    assert.equal(a.pack, undefined);
    const b = js({ balance: "pack", pack: { dwell: "1m" } });
    assert.ok(b.kind === "jetstream");
    assert.equal(b.balance, "pack");
    assert.deepEqual(b.pack, { high: 0.65, low: 0.4, dwell: 60_000 });
    assert.throws(() => js({ balance: "even" }), /store.balance/);
    assert.throws(() => js({ balance: "pack", pack: { high: 0.3, low: 0.4 } }), /pack.low must be below pack.high/);
    assert.throws(() => js({ pack: { hgih: 0.5 } }), /hgih/);
  });
  it("parseListen() reads host:port, [v6]:port and :port", () => {
    assert.deepEqual(parseListen("[::1]:9400"), { hostname: "::1", port: 9400 });
    assert.deepEqual(parseListen(":0"), { hostname: "0.0.0.0", port: 0 });
    assert.equal(parseListen("host"), undefined);
  });
});
