/**
 * Ingest steering against a real nats-server: three in-process collectors (HTTP/1.1 and h2c on
 * each port) that advertise their URLs (`store.advertise`) share one JetStream. An uplink, and
 * then the fleet simulator, that send to a collector which does not consume their partition
 * are named the one that does (`Edgeprobe-Steer`) and send there from then on; every record is
 * stored once; after the owner stops, the lease moves and the agent follows it again.
 * Run: bun test --timeout 180000 tests/nats/steer_test.ts
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createUplink } from "../../agent/uplink.ts";
import { type RunningCollector, startCollector } from "../../collector/collector.ts";
import { parseCollectorConfig } from "../../collector/config.ts";
import type { JetstreamStore } from "../../collector/jetstream_store.ts";
import { encodeToken, partitionOf } from "../../collector/jetstream_keys.ts";
import { systemClock } from "../../runtime/clock.ts";
import { startSimulation } from "../../simulate/mod.ts";
import { telemetrySchema } from "../../telemetry/telemetry_config.ts";
import { freePorts, startNats } from "./_nats.ts";
import { makeCerts } from "../telemetry/_certs.ts";

const TOKEN = "steer-test-token-0123456789";
const PARTITIONS = 16;

async function until(cond: () => boolean | Promise<boolean>, what: () => string, ms = 20_000) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`Cannot finish test: ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Three collectors advertising `http://127.0.0.1:<port>` (or `https://` with `tls`: h2 or
 * HTTP/1.1 by ALPN), each holding a share of the 16 partitions.
 */
async function cluster(dir: string, tls?: { cert: string; key: string }) {
  const [natsPort, ...ports] = await freePorts(4);
  const nats = await startNats(dir, natsPort);
  const acs = ports.map(() => new AbortController());
  const running: RunningCollector[] = [];
  for (const [k, port] of ports.entries()) {
    running.push(await startCollector(parseCollectorConfig({
      listen: `127.0.0.1:${port}`, auth: { sharedToken: TOKEN }, limits: { maxBodyBytes: "4MiB" }, ...(tls ? { tls } : {}),
      store: { kind: "jetstream", servers: [`127.0.0.1:${natsPort}`], collectorId: `c${k + 1}`, advertise: `${tls ? "https" : "http"}://127.0.0.1:${port}`, leaseTtl: "2s", stateEvery: "100ms", routineEvery: "1s", readModel: join(dir, `c${k + 1}.db`) },
    }, {}), { signal: acs[k].signal, log: () => {} }));
  }
  const stores = running.map((r) => r.store as JetstreamStore);
  const held = () => stores.map((s) => s.partitions().map((p) => p.partition));
  // Settled: every partition held once, by three collectors.
  await until(() => {
    const h = held();
    return h.every((x) => x.length > 0) && new Set(h.flat()).size === PARTITIONS && h.flat().length === PARTITIONS;
  }, () => `leases did not settle: ${JSON.stringify(held())}`);
  const ownerOf = (agentId: string) => held().findIndex((h) => h.includes(partitionOf(encodeToken(agentId), PARTITIONS)));
  return {
    running, stores, ownerOf, acs,
    stop: async () => {
      for (const ac of acs) ac.abort();
      await Promise.all(running.map((r) => r.finished));
      await nats.stop("SIGTERM");
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Sum of a node's probe results as the cluster's shared view shows it. */
async function results(store: JetstreamStore, id: string) {
  return (await store.node(id, Date.now()))?.probeList.reduce((x, p) => x + p.okTotal + p.failTotal, 0) ?? 0;
}

describe("ingest steering (Edgeprobe-Steer) on JetStream", () => {
  for (const [name, transport, secure] of [["http/1.1", "http/1.1", false], ["h2c", "h2", false], ["h2 over TLS", "h2", true]] as const) {
    it(`an uplink (${name}) sent to a non-owner ends up at its partition's owner, follows the lease when it moves, every record once`, async () => {
      const dir = fs.mkdtempSync(join(tmpdir(), "ep-nats-steer-"));
      const certs = secure ? makeCerts(dir) : undefined;
      const c = await cluster(dir, certs && { cert: certs.serverCert, key: certs.serverKey });
      const acU = new AbortController();
      try {
        const agentId = `upf-steer-${secure ? "tls" : transport === "h2" ? "h2" : "h1"}`;
        const owner = c.ownerOf(agentId);
        const primary = (owner + 1) % 3;
        const urls = c.running.map((r) => r.url);
        const up = await createUplink(telemetrySchema.parse({
          collector: urls[primary], failover: urls.filter((_, k) => k !== primary), token: TOKEN, transport, steerEvery: "1s", failback: "0s", ...(certs ? { tls: { ca: certs.ca } } : {}),
          spool: { dir: join(fs.mkdtempSync(join(tmpdir(), "ep-steer-spool-")), "spool"), maxBytes: "1MiB" }, batch: { maxRecords: 20, interval: "10ms" }, backoff: { initial: "50ms", max: "200ms" },
        }), { agentId, labels: { region: "west" }, clock: systemClock, log: () => {}, signal: acU.signal });
        let emitted = 0;
        const emit = (n: number) => {
          for (let i = 0; i < n; i++, emitted++) up.emit({ type: "probe-result", probe: `p${emitted % 2}`, kind: "pfcp", result: { ok: true, startedAt: Date.now(), latencyMs: 1, facts: { i: emitted } } });
        };
        up.emit({ type: "agent-start", at: Date.now(), version: "0.1.0" });
        emit(60);
        await until(() => up.stats().lastAck?.seq === 61, () => `first 61 not acked: ${up.stats().lastError}`);
        assert.equal(up.stats().collector, `${urls[owner]}/api/v1/ingest`, "steered to the owner");
        assert.equal(up.stats().steers, 1);
        assert.equal(up.stats().failedSends, 0, "a steer is no failure");
        assert.ok(c.running[primary].counters.steered >= 1, "the non-owner named the owner");
        const steeredBefore = c.running.map((r) => r.counters.steered);
        emit(60);
        await until(() => up.stats().lastAck?.seq === 121, () => `next 60 not acked: ${up.stats().lastError}`);
        assert.deepEqual(c.running.map((r) => r.counters.steered), steeredBefore, "the owner names no one: no further hint");

        // The owner stops: its partitions move, the uplink fails over (round robin) and, if it lands
        // on a collector that does not hold the partition now, is steered to the one that does.
        c.acs[owner].abort();
        await c.running[owner].finished;
        const alive = [0, 1, 2].filter((k) => k !== owner);
        await until(() => alive.some((k) => c.stores[k].partitions().some((p) => p.partition === partitionOf(encodeToken(agentId), PARTITIONS))), () => "partition not taken over");
        const newOwner = alive.find((k) => c.stores[k].partitions().some((p) => p.partition === partitionOf(encodeToken(agentId), PARTITIONS)))!;
        // Batches until the uplink sits on the new owner (the lease lookups are cached for leaseTtl).
        await until(async () => {
          emit(5);
          await new Promise((r) => setTimeout(r, 200));
          return up.stats().collector === `${urls[newOwner]}/api/v1/ingest` && up.stats().spool.records === 0;
        }, () => `uplink at ${up.stats().collector}, new owner ${urls[newOwner]}, ${up.stats().lastError}`, 30_000);
        emit(40);
        await until(() => up.stats().lastAck?.seq === emitted + 1, () => `last not acked: ${up.stats().lastAck?.seq} of ${emitted + 1}`);
        const view = c.stores[newOwner];
        await until(async () => (await results(view, agentId)) >= emitted, () => `the view shows fewer results than ${emitted}`);
        const node = await view.node(agentId, Date.now());
        assert.equal(node!.probeList.reduce((x, p) => x + p.okTotal, 0), emitted, "every result once");
        assert.equal((await view.stats()).gapRecords, 0);
        await up.close(AbortSignal.timeout(1000));
      } finally {
        acU.abort();
        await c.stop();
      }
    });
  }

  it("the fleet simulator follows hints the same way: non-owners stop receiving batches, every record once", async () => {
    const c = await cluster(fs.mkdtempSync(join(tmpdir(), "ep-nats-steer-sim-")));
    const ac = new AbortController();
    try {
      const agents = 60;
      const sim = startSimulation({
        agents, collectors: c.running.map((r) => r.url), token: TOKEN, probesPerAgent: 4, batchIntervalMs: 300, idPrefix: "steer",
        behaviour: { speed: 20, failRate: 0, episodesPerProbeHour: 0, peerRestartsPerProbeHour: 0, silencesPerAgentHour: 0 }, signal: ac.signal,
      });
      // Agent i starts at collector i % 3: about two thirds start at a non-owner and are steered once.
      await until(() => sim.stats().joined === agents && sim.stats().batches.ok >= agents * 3, () => `joined ${sim.stats().joined}`);
      const ids = Array.from({ length: agents }, (_, i) => `steer-${String(i + 1).padStart(5, "0")}`);
      const misplaced = ids.filter((id, i) => c.ownerOf(id) !== i % 3).length;
      assert.equal(sim.stats().steers, misplaced, "each agent that started at a non-owner was steered once");
      assert.equal(sim.stats().steersIgnored, 0);
      // Now every batch reaches its owner: no collector names another.
      const before = c.running.map((r) => r.counters.steered);
      const okBefore = sim.stats().batches.ok;
      await until(() => sim.stats().batches.ok >= okBefore + agents * 3, () => "no more batches");
      assert.deepEqual(c.running.map((r) => r.counters.steered), before);
      const done = await sim.drain(AbortSignal.timeout(20_000));
      assert.equal(done.pending, 0);
      assert.equal(done.batches.failed, 0);
      let total = 0;
      for (const id of ids) total += await results(c.stores[0], id);
      const want = done.probeResults;
      await until(async () => {
        total = 0;
        for (const id of ids) total += await results(c.stores[0], id);
        return total >= want;
      }, () => `view shows ${total} of ${want} results`);
      assert.equal(total, want, "every probe result once");
      assert.equal((await c.stores[0].stats()).gapRecords, 0);
    } finally {
      ac.abort();
      await c.stop();
    }
  });
});
