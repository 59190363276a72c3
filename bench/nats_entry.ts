/**
 * The cost of one node write in every collector's fleet view (collector/jetstream_view.ts): a node
 * with 10 probes and 50 recent events, written as a version 1 entry (events inside) and as a
 * version 2 entry (events in `node.<agent>.ev`, written only when they change), and as a routine
 * version 2 entry (new results only: kept as bytes until read), applied with a
 * listener subscribed as the collector's SSE, grid and alarms are. Every collector pays this for
 * every node write of the cluster, so it is the part of the cluster's CPU that grows with the
 * number of collectors (docs/scale-out.md).
 *
 *   bun bench/nats_entry.ts
 */
import { encodeEntry, type NodeEntry } from "../collector/jetstream_entry.ts";
import { createFleetView } from "../collector/jetstream_view.ts";
import type { NodeDetail } from "../collector/store.ts";

const T = 1764496000000;
const node = (lastSeen: number): NodeDetail => ({
  id: "agent-0001", labels: { region: "north", site: "s1" }, version: "1.0.0", bootId: "b1-abcdef", firstSeen: T, lastSeen, lastRecordAt: lastSeen,
  verdict: "UP", running: true, probes: { total: 10, healthy: 10, unhealthy: 0, unknown: 0 }, peerRestarts: 0, spoolDrops: 0,
  probeList: Array.from({ length: 10 }, (_, i) => ({
    name: `pfcp-${i}`, kind: "pfcp", state: "healthy" as const, stateSince: T + i, last: { at: lastSeen, ok: true, latencyMs: 1.234 },
    facts: { recoveryTimeStamp: 3900000000 }, peerRestarts: 0, okTotal: 12345 + lastSeen % 1000, failTotal: 12,
  })),
  events: Array.from({ length: 50 }, (_, i) => ({ seq: 100 - i, bootId: "b1-abcdef", at: T + (50 - i) * 1000, type: "state", probe: `pfcp-${i % 10}`, detail: { from: "healthy", to: "unhealthy" } })),
});
const entry = (lastSeen: number): NodeEntry => ({ v: 1, p: 3, by: "c1", node: node(lastSeen), records: 1000, duplicates: 0, gap: 0 });
const enc = new TextEncoder();
const N = 20_000;
const v1 = Array.from({ length: 64 }, (_, i) => enc.encode(JSON.stringify(entry(T + 100_000 + i))));
const v2 = Array.from({ length: 64 }, (_, i) => encodeEntry(entry(T + 100_000 + i)));
const routine = Array.from({ length: 64 }, (_, i) => encodeEntry(entry(T + 100_000 + i), true));

const run = (bytes: Uint8Array[]) => {
  const view = createFleetView({ log: () => {} });
  let changes = 0;
  view.subscribe(() => changes++);
  view.apply("agent-0001", v2[0], 1);
  for (let i = 1; i < 2000; i++) view.apply("agent-0001", bytes[i % bytes.length], i + 1);
  const t0 = performance.now();
  for (let i = 0; i < N; i++) view.apply("agent-0001", bytes[i % bytes.length], 2001 + i);
  return { usPerEntry: +((performance.now() - t0) * 1000 / N).toFixed(1), bytes: bytes[0].length, changes };
};
console.log(JSON.stringify({ "v1 (events inside)": run(v1), "v2 (events apart)": run(v2), "v2 routine (parsed when read)": run(routine) }, null, 2));
