import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { join, relative } from "node:path";
import { ackKey, batchSubject, encodeToken, nodeKey, partitionOf } from "./jetstream_keys.ts";
import { decodeEntry, decodeEvents, encodeEntry, encodeEvents, entryChanges, type NodeEntry } from "./jetstream_entry.ts";
import { createFleetView } from "./jetstream_view.ts";
import { preferenceOrder } from "./jetstream_leases.ts";
import type { FleetChange, NodeDetail } from "./store.ts";

const ROOT = new URL("../", import.meta.url).pathname;

describe("encodeToken()", () => {
  it("keeps letters, digits, - and _ and escapes every other UTF-8 byte as =XX", () => {
    assert.equal(encodeToken("upf-17_a"), "upf-17_a");
    assert.equal(encodeToken("a.b c"), "a=2Eb=20c");
    assert.equal(encodeToken("*>"), "=2A=3E");
    assert.equal(encodeToken("é"), "=C3=A9");
    assert.equal(encodeToken("a=b"), "a=3Db", "the escape character itself is escaped, so the mapping is one to one");
    assert.equal(encodeToken(""), "=");
  });
  it("gives NATS subject tokens and KV keys (ADR-8 key charset)", () => {
    for (const s of ["north.pole", "x y", "a/b", "ümlaut", "*", ">", "$SYS", "=", "a..b"]) {
      const t = encodeToken(s);
      assert.match(t, /^[-_=A-Za-z0-9]+$/, `${s} -> ${t}`);
    }
    assert.equal(ackKey("upf.17", "b1"), "ack.upf=2E17.b1");
    assert.equal(nodeKey("upf 17"), "node.upf=2017");
  });
  it("distinct inputs give distinct tokens", () => {
    const inputs = ["a.b", "a=2Eb", "a b", "a_b", "a-b", "", "=", "=3D"];
    assert.equal(new Set(inputs.map(encodeToken)).size, inputs.length);
  });
});

describe("NATS boundary", () => {
  // The NATS client is loaded only when the config asks for JetStream: by the store's modules and
  // by the alarm list's shared bucket (collector/alarms/mod.ts imports its repo lazily), both
  // through collector/nats_connect.ts, which only they import.
  it("only collector/jetstream_*.ts, collector/nats_connect.ts and collector/alarms/jetstream_repo.ts (plus tests/nats and bench) import the NATS client", () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        if (e.name.startsWith(".") || e.name === "node_modules" || e.name === "dist") continue;
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith(".ts")) files.push(relative(ROOT, p));
      }
    };
    walk(ROOT);
    const offenders = files.filter((f) => /from\s+["']@nats-io\//.test(fs.readFileSync(join(ROOT, f), "utf8")))
      .filter((f) => !/^collector\/jetstream_[a-z_]+\.ts$/.test(f) && f !== "collector/nats_connect.ts" && f !== "collector/alarms/jetstream_repo.ts" && !f.startsWith("tests/nats/") && !f.startsWith("bench/"));
    assert.deepEqual(offenders, []);
    const connectors = files.filter((f) => /from\s+["'][./]*nats_connect\.ts["']/.test(fs.readFileSync(join(ROOT, f), "utf8")))
      .filter((f) => !/^collector\/jetstream_[a-z_]+\.ts$/.test(f) && f !== "collector/alarms/jetstream_repo.ts" && !f.endsWith("_test.ts"));
    assert.deepEqual(connectors, []);
  });
});

describe("partitionOf()", () => {
  it("is FNV-1a 32 of the agent token modulo n (the FNV reference vectors)", () => {
    // FNV-1a 32: "" = 0x811c9dc5, "a" = 0xe40c292c, "foobar" = 0xbf9cf968 (draft-eastlake-fnv, test vectors).
    assert.equal(partitionOf("", 2 ** 31), 0x811c9dc5 % 2 ** 31);
    assert.equal(partitionOf("a", 1_000_003), 0xe40c292c % 1_000_003);
    assert.equal(partitionOf("foobar", 97), 0xbf9cf968 % 97);
  });
  it("spreads 10,000 agents over 16 partitions within 10 % of even", () => {
    const counts = new Array(16).fill(0);
    for (let i = 0; i < 10_000; i++) counts[partitionOf(`upf-${i}`, 16)]++;
    for (const c of counts) assert.ok(Math.abs(c - 625) < 63, `${counts}`);
  });
  it("names the batch subject <prefix>.<partition>.<region>.<agent>", () => {
    assert.equal(batchSubject("edgeprobe.telemetry", 16, "north", "upf.17"), `edgeprobe.telemetry.${partitionOf("upf=2E17", 16)}.north.upf=2E17`);
  });
  it("lease preference orders every partition once, from a start spread by collector id", () => {
    const a = preferenceOrder("c1", 8), b = preferenceOrder("c2", 8);
    assert.deepEqual([...a].sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.notEqual(a[0], b[0]);
  });
});

const detail = (over: Partial<NodeDetail> = {}): NodeDetail => ({
  id: "upf-1", labels: { region: "north" }, bootId: "b1", firstSeen: 1, lastSeen: 2, running: true,
  probes: { total: 1, healthy: 1, unhealthy: 0, unknown: 0 }, peerRestarts: 0, spoolDrops: 0,
  probeList: [{ name: "n4", kind: "pfcp", state: "healthy", stateSince: 5, peerRestarts: 0, okTotal: 3, failTotal: 0 }],
  events: [{ seq: 2, bootId: "b1", at: 5, type: "state", probe: "n4", detail: { from: "unknown", to: "healthy" } }],
  ...over,
});
const entry = (node: NodeDetail, records = 3): NodeEntry => ({ v: 1, p: 0, by: "c1", node, records, duplicates: 0, gap: 0 });

describe("node entries and the fleet view", () => {
  it("round-trips an entry and refuses what is not one", () => {
    const e = entry(detail());
    assert.deepEqual(decodeEntry(encodeEntry(e)), { ...e, v: 2, node: { ...e.node, events: [] } }, "version 2: the events travel in their own entry");
    assert.deepEqual(decodeEntry(new TextEncoder().encode(JSON.stringify(e))), e, "a version 1 entry (events inside) is still read");
    const ev = { v: 2 as const, id: "upf-1", by: "c1", events: e.node.events };
    assert.deepEqual(decodeEvents(encodeEvents(ev)), ev);
    assert.throws(() => decodeEvents(new TextEncoder().encode('{"v":1}')), /Cannot decode events entry: unknown shape/);
    assert.throws(() => decodeEntry(new TextEncoder().encode("{")), /Cannot decode node entry: not JSON/);
    assert.throws(() => decodeEntry(new TextEncoder().encode('{"v":2}')), /Cannot decode node entry: unknown shape/);
  });
  it("turns two versions of an entry into the changes SSE publishes", () => {
    const first = detail();
    assert.deepEqual(entryChanges(undefined, first).map((c) => c.type), ["node", "probe-state", "event"]);
    const next = detail({
      lastSeen: 9,
      probeList: [{ name: "n4", kind: "pfcp", state: "unhealthy", stateSince: 8, peerRestarts: 0, okTotal: 3, failTotal: 2 }],
      events: [
        { seq: 9, bootId: "b1", at: 8, type: "state", probe: "n4", detail: { from: "healthy", to: "unhealthy" } },
        { seq: 7, bootId: "b1", at: 7, type: "peer-restart", probe: "n4", detail: {} },
        ...first.events,
      ],
    });
    const changes = entryChanges(first, next);
    assert.deepEqual(changes[0], { type: "probe-state", node: "upf-1", probe: "n4", from: "healthy", to: "unhealthy", at: 8 });
    assert.deepEqual(changes.slice(1).map((c) => (c as Extract<FleetChange, { type: "event" }>).event.seq), [7, 9], "new events, oldest first");
    assert.deepEqual(entryChanges(next, detail({ ...next, verdict: "DEGRADED" })).map((c) => c.type), ["node"]);
  });
  it("answers fleet, node, probes and stats from the entries and publishes their changes", async () => {
    const v = createFleetView({ log: () => {} });
    const seen: FleetChange[] = [];
    v.subscribe((c) => seen.push(c));
    v.apply("upf-1", encodeEntry(entry(detail())), 5);
    v.apply("upf-0", encodeEntry(entry(detail({ id: "upf-0" }), 4)), 6);
    v.apply("upf-1", encodeEntry(entry(detail({ lastSeen: 1 }))), 4); // older revision: ignored
    assert.deepEqual(v.fleet().map((n) => n.id), ["upf-0", "upf-1"]);
    assert.equal("probeList" in v.fleet()[0], false);
    assert.equal(v.node("upf-1")!.lastSeen, 2);
    assert.equal(v.probes().length, 2);
    assert.deepEqual(v.stats(), { nodes: 2, records: 7, duplicates: 0, gapRecords: 0 });
    assert.equal(seen.filter((c) => c.type === "node").length, 2);
    const ev = detail().events;
    const more = [{ seq: 9, bootId: "b1", at: 8, type: "peer-restart", probe: "n4", detail: {} }, ...ev];
    v.apply("upf-1.ev", encodeEvents({ v: 2, id: "upf-1", by: "c1", events: ev }), 8);
    assert.deepEqual(v.node("upf-1")!.events, ev, "the node page joins the node entry and its events entry");
    assert.equal(seen.filter((c) => c.type === "event").length, 1, "the events a node shows when it appears, once");
    v.apply("upf-1.ev", encodeEvents({ v: 2, id: "upf-1", by: "c1", events: more }), 9);
    assert.deepEqual(seen.filter((c) => c.type === "event").map((c) => (c as Extract<FleetChange, { type: "event" }>).event.seq), [2, 9], "only the new event is published");
    v.apply("upf-1.ev", encodeEvents({ v: 2, id: "upf-1", by: "c1", events: more }), 10);
    assert.equal(seen.filter((c) => c.type === "event").length, 2, "an unchanged events entry publishes nothing");
    // A routine entry (new results only) is kept as bytes and parsed when read.
    const logged: string[] = [];
    const w = createFleetView({ log: (m) => logged.push(m) });
    const ws: FleetChange[] = [];
    w.subscribe((c) => ws.push(c));
    w.apply("upf-1", encodeEntry(entry(detail())), 5);
    assert.equal(new TextDecoder().decode(encodeEntry(entry(detail({ lastSeen: 9 })), true)).slice(0, 7), '{"r":1,');
    w.apply("upf-1", encodeEntry(entry(detail({ lastSeen: 9 }), 4), true), 6);
    w.apply("upf-1", new TextEncoder().encode('{"r":1,"v":2,'), 7); // not JSON: kept unparsed, superseded below
    w.apply("upf-1", encodeEntry(entry(detail({ lastSeen: 11 }), 5), true), 8);
    assert.deepEqual(logged, [], "routine entries are not parsed on arrival");
    assert.equal(w.node("upf-1")!.lastSeen, 11, "the newest routine entry answers the read");
    assert.deepEqual(w.stats(), { nodes: 1, records: 5, duplicates: 0, gapRecords: 0 });
    w.apply("upf-2", encodeEntry(entry(detail({ id: "upf-2" })), true), 9);
    assert.deepEqual(w.fleet().map((n) => n.id), ["upf-1", "upf-2"], "a routine entry of a node not in view yet is parsed at once");
    const before = ws.length;
    w.apply("upf-1", encodeEntry(entry(detail({ lastSeen: 12, verdict: "DEGRADED" }), 5), true), 10);
    assert.equal(w.fleet().find((n) => n.id === "upf-1")!.verdict, "DEGRADED");
    assert.equal(ws.length, before, "changes found in a routine entry are published after the read, not inside it");
    await Promise.resolve();
    assert.deepEqual(ws.slice(before).map((c) => c.type), ["node"]);
    v.apply("upf-1", undefined, 11);
    assert.deepEqual(v.fleet().map((n) => n.id), ["upf-0"]);
    assert.equal(v.prune(3), 1, "a node not seen since before the cut is forgotten");
    assert.equal(v.revision(), 11);
  });
});
