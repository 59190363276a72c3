/**
 * @module The contract every `Store` (collector/store.ts) keeps, as one suite each store's test
 * runs (Hono's `runTest({ newRouter })`): idempotent ingest with the right ack, gaps counted, the
 * fleet and node views built from the records, history and latency within the sketch's error,
 * live changes, pruning and, where the storage outlives the process, acks kept across a reopen.
 *
 * Reads go through {@link eventually}: a store whose read model is fed asynchronously (JetStream)
 * answers after it applied the batch; SQLite answers at once.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Batch, TelemetryRecord } from "../telemetry/record.ts";
import type { FleetChange, Store } from "./store.ts";

export interface StoreContract {
  readonly name: string;
  /** A new, empty store. */
  open(): Promise<Store>;
  /** When the storage outlives the store object: open what the last `open()` used, after its `close()`. */
  readonly reopen?: () => Promise<Store>;
  /** How long a read may take to show an acked batch (default 5 s). */
  readonly settleMs?: number;
}

export const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);

/** Probe results seq first..last of probe `probe`: every 10th a timeout, latency 1 ms + seq µs. */
export function probeRecords(first: number, last: number, probe = "n4"): TelemetryRecord[] {
  const out: TelemetryRecord[] = [];
  for (let seq = first; seq <= last; seq++) {
    const fails = seq % 10 === 0;
    out.push({
      seq, type: "probe", at: T0 + seq * 1000, probe, kind: "pfcp", ok: !fails, latencyUs: 1000 + seq,
      ...(fails ? { failure: { kind: "timeout" as const, message: "Cannot get a PFCP Heartbeat Response: no answer" } } : {}),
      facts: { recoveryTimeStamp: 3_900_000_000 },
    });
  }
  return out;
}

/** Retry an assertion until it holds or `ms` passed; the last failure is thrown. */
export async function eventually<T>(fn: () => Promise<T>, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** Register the contract suite of one store. */
export function storeContract(c: StoreContract): void {
  const settle = c.settleMs ?? 5000;
  const eventual = <T>(fn: () => Promise<T>) => eventually(fn, settle);
  /** One store per test, closed after it. */
  async function withStore(fn: (s: Store) => Promise<void>): Promise<void> {
    const store = await c.open();
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  }
  const batch = (records: TelemetryRecord[], agentId = "upf-1", bootId = "b1"): Batch => ({ agentId, bootId, records });

  describe(`Store contract: ${c.name}`, () => {
    it("answers the ack and keeps each record once: new, replayed, overlapping, another boot", () =>
      withStore(async (s) => {
        assert.deepEqual(await s.ingest(batch(probeRecords(1, 20)), T0), { agentId: "upf-1", bootId: "b1", ack: 20, stored: 20, duplicates: 0, gap: 0 });
        assert.deepEqual(await s.ingest(batch(probeRecords(1, 20)), T0), { agentId: "upf-1", bootId: "b1", ack: 20, stored: 0, duplicates: 20, gap: 0 });
        assert.deepEqual(await s.ingest(batch(probeRecords(11, 30)), T0), { agentId: "upf-1", bootId: "b1", ack: 30, stored: 10, duplicates: 10, gap: 0 });
        assert.deepEqual(await s.ingest(batch(probeRecords(1, 5), "upf-1", "b2"), T0), { agentId: "upf-1", bootId: "b2", ack: 5, stored: 5, duplicates: 0, gap: 0 });
        await eventual(async () => assert.equal((await s.stats()).records, 35));
      }));

    it("counts records the agent dropped from its spool as a gap, once", () =>
      withStore(async (s) => {
        await s.ingest(batch(probeRecords(1, 10)), T0);
        // The agent reports what its spool dropped in a spool-drop record at the batch's tail
        // (agent/uplink.ts); a jump is a gap only as far as such reports account for it
        // (collector/seq_admit.ts).
        const after = [...probeRecords(16, 19), { seq: 20, type: "spool-drop", at: T0 + 20_000, records: 5, bytes: 500 } as const];
        assert.deepEqual(await s.ingest(batch(after), T0), { agentId: "upf-1", bootId: "b1", ack: 20, stored: 5, duplicates: 0, gap: 5 });
        assert.equal((await s.ingest(batch(after), T0)).gap, 0, "a replay is no second gap");
        await eventual(async () => assert.equal((await s.stats()).gapRecords, 5));
      }));

    it("builds the fleet view: labels, version, verdict, probe states, peer restarts, spool drops, running", () =>
      withStore(async (s) => {
        await s.ingest(batch([
          { seq: 1, type: "agent-start", at: T0, version: "0.1.0", labels: { region: "north", site: "mec-7" } },
          { seq: 2, type: "state", at: T0 + 1000, probe: "n4", from: "unknown", to: "healthy" },
          { seq: 3, type: "state", at: T0 + 1000, probe: "n9", from: "unknown", to: "unhealthy" },
          { seq: 4, type: "verdict", at: T0 + 1000, from: "UP", to: "DEGRADED", causes: ["n9"] },
          { seq: 5, type: "peer-restart", at: T0 + 2000, probe: "n4", detail: { recoveryTimeStamp: 3_900_000_100 } },
          { seq: 6, type: "spool-drop", at: T0 + 3000, records: 7, bytes: 700 },
          ...probeRecords(7, 9),
        ]), T0 + 10_000);
        const [n] = await eventual(async () => {
          const f = await s.fleet(T0 + 10_000);
          assert.equal(f.length, 1);
          return f;
        });
        assert.equal(n.id, "upf-1");
        assert.equal(n.bootId, "b1");
        assert.deepEqual(n.labels, { region: "north", site: "mec-7" });
        assert.equal(n.version, "0.1.0");
        assert.equal(n.verdict, "DEGRADED");
        assert.equal(n.running, true);
        assert.equal(n.probes.healthy, 1);
        assert.equal(n.probes.unhealthy, 1);
        assert.equal(n.peerRestarts, 1);
        assert.equal(n.spoolDrops, 7);
        await s.ingest(batch([{ seq: 10, type: "agent-stop", at: T0 + 20_000, reason: "SIGTERM" }]), T0 + 20_000);
        await eventual(async () => assert.equal((await s.fleet(T0 + 20_000))[0].running, false));
      }));

    it("node(): each probe's state, last result and counts, recent events; undefined for an unknown node", () =>
      withStore(async (s) => {
        await s.ingest(batch([
          { seq: 1, type: "state", at: T0, probe: "n4", from: "unknown", to: "healthy" },
          ...probeRecords(2, 10),
          { seq: 11, type: "peer-restart", at: T0 + 11_000, probe: "n4", detail: { recoveryTimeStamp: 3_900_000_100 } },
        ]), T0 + 20_000);
        const d = await eventual(async () => {
          const d = await s.node("upf-1", T0 + 20_000);
          assert.ok(d);
          assert.equal(d.probeList.find((p) => p.name === "n4")?.last?.at, T0 + 10_000);
          return d;
        });
        const p = d.probeList.find((p) => p.name === "n4")!;
        assert.equal(p.kind, "pfcp");
        assert.equal(p.state, "healthy");
        assert.equal(p.okTotal + p.failTotal, 9);
        assert.equal(p.failTotal, 1);
        assert.equal(p.last?.ok, false);
        assert.equal(p.last?.failure?.kind, "timeout");
        assert.equal(p.last?.latencyMs, 1.01);
        assert.ok(d.events.some((e) => e.type === "peer-restart" && e.probe === "n4"), JSON.stringify(d.events));
        assert.equal(await s.node("nobody", T0), undefined);
      }));

    it("history() and latency() count per step and stay within the sketch's relative error", () =>
      withStore(async (s) => {
        // 120 results, one a second over two minutes: latencies 1.001 .. 1.120 ms, every 10th a timeout.
        await s.ingest(batch(probeRecords(1, 120)), T0 + 200_000);
        const window = { from: T0, to: T0 + 180_000 };
        const h = await eventual(async () => {
          const h = await s.history("upf-1", "n4", window, 60_000);
          assert.ok(h);
          assert.equal(h.reduce((n, p) => n + p.count, 0), 120);
          return h;
        });
        assert.equal(h.reduce((n, p) => n + p.ok, 0), 108);
        assert.equal(h.reduce((n, p) => n + (p.failures.timeout ?? 0), 0), 12);
        for (const p of h) assert.equal(p.t % 60_000, 0, "steps start on the step");
        // A fleet-wide latency on JetStream merges the partitions' checkpointed rows: eventually.
        const l = await eventual(async () => {
          const l = await s.latency("n4", window);
          assert.equal(l.count, 120);
          return l;
        });
        assert.equal(l.ok, 108);
        const exact = 1.0605; // the median of 1.001 .. 1.120 ms
        assert.ok(Math.abs(l.p50! - exact) <= exact * l.relativeError * 1.01 + 0.001, `p50 ${l.p50} vs ${exact} ±${l.relativeError}`);
        assert.equal(await s.history("upf-1", "no-such-probe", window, 60_000), undefined);
        assert.equal((await s.latency("no-such-probe", window)).count, 0);
      }));

    it("probes() lists every (node, probe); stats() counts nodes and records", () =>
      withStore(async (s) => {
        await s.ingest(batch(probeRecords(1, 5, "n4")), T0);
        await s.ingest(batch(probeRecords(1, 5, "gx"), "pgw-2"), T0);
        await s.ingest(batch(probeRecords(1, 5, "gx"), "pgw-2"), T0);
        await eventual(async () => {
          const list = (await s.probes()).map((p) => `${p.node}/${p.probe.name}`).sort();
          assert.deepEqual(list, ["pgw-2/gx", "upf-1/n4"]);
        });
        const st = await eventual(async () => {
          const st = await s.stats();
          assert.equal(st.records, 10);
          return st;
        });
        assert.equal(st.nodes, 2);
        // What stats() calls duplicates is the store's own view (SQLite: replays ingest saw;
        // JetStream: replays its read model met in the stream); ingest's answer is tested above.
        assert.ok(Number.isInteger(st.duplicates) && st.duplicates >= 0, `duplicates ${st.duplicates}`);
      }));

    it("subscribe() tells a listener about nodes, probe-state changes and events; unsubscribe stops it", () =>
      withStore(async (s) => {
        const seen: FleetChange[] = [];
        const off = s.subscribe((ch) => seen.push(ch));
        await s.ingest(batch([
          { seq: 1, type: "state", at: T0, probe: "n4", from: "unknown", to: "healthy" },
          { seq: 2, type: "peer-restart", at: T0 + 1000, probe: "n4", detail: { recoveryTimeStamp: 1 } },
        ]), T0);
        await eventual(async () => {
          assert.ok(seen.some((c) => c.type === "node" && c.node.id === "upf-1"), "a node change");
          assert.ok(seen.some((c) => c.type === "probe-state" && c.node === "upf-1" && c.probe === "n4" && c.to === "healthy"), "a probe-state change");
          assert.ok(seen.some((c) => c.type === "event" && c.node === "upf-1" && c.event.type === "peer-restart"), "an event");
        });
        off();
        const before = seen.length;
        await s.ingest(batch([{ seq: 3, type: "state", at: T0 + 2000, probe: "n4", from: "healthy", to: "unhealthy" }]), T0);
        await eventual(async () => assert.equal((await s.node("upf-1", T0))?.probeList[0].state, "unhealthy"));
        assert.equal(seen.length, before, "no change after unsubscribe");
      }));

    it("prune() drops minute histograms older than the bound and keeps newer ones", () =>
      withStore(async (s) => {
        await s.ingest(batch(probeRecords(1, 120)), T0 + 200_000); // minutes T0 and T0+1m (and T0+2m for seq 120)
        const window = { from: T0, to: T0 + 180_000 };
        await eventual(async () => assert.equal((await s.latency("n4", window)).count, 120));
        const r = await s.prune(T0 + 60_000, T0 + 60_000);
        assert.ok(r.minutes >= 1, `pruned ${r.minutes} minute rows`);
        const l = await s.latency("n4", window);
        assert.equal(l.count, 120 - 59, "the first minute (seq 1..59) is gone, later ones stay");
      }));

    it("keeps acks across a close and reopen of the same storage", { skip: c.reopen ? false : "this store keeps nothing after close" }, async () => {
      const store = await c.open();
      await store.ingest(batch(probeRecords(1, 20)), T0);
      await store.close();
      const again = await c.reopen!();
      try {
        assert.deepEqual(await again.ingest(batch(probeRecords(1, 25)), T0), { agentId: "upf-1", bootId: "b1", ack: 25, stored: 5, duplicates: 20, gap: 0 });
        // The records before the reopen are still there (stats() counts only this process's ingest).
        await eventual(async () => assert.equal((await again.latency("n4", { from: T0, to: T0 + 60_000 })).count, 25));
      } finally {
        await again.close();
      }
    });
  });
}
