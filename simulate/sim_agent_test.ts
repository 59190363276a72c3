import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { decodeBatch, encodeBatch, type TelemetryRecord } from "../telemetry/mod.ts";
import { ack, advance, type Behaviour, DEFAULT_BEHAVIOUR, newSimAgent, peek } from "./sim_agent.ts";
import { probesOf } from "./probe_mix.ts";
import { seededRandom } from "./rng.ts";

const T0 = Date.UTC(2026, 10, 30, 6, 0, 0);
const labels = { region: "r00", site: "r00-s00", role: "upf" };

/** Everything an agent spooled, through the real codec (what a collector would decode). */
function drainAll(a: ReturnType<typeof newSimAgent>): { bootId: string; records: TelemetryRecord[] }[] {
  const out: { bootId: string; records: TelemetryRecord[] }[] = [];
  for (let head = peek(a, 500); head; head = peek(a, 500)) {
    const decoded = decodeBatch(encodeBatch({ agentId: a.id, bootId: head.bootId, records: head.records }));
    out.push({ bootId: decoded.bootId, records: [...decoded.records] });
    ack(a, head.bootId, head.records[head.records.length - 1].seq);
  }
  return out;
}

describe("emulated agent", () => {
  it("produces decodable records with contiguous seqs, the probe mix's cadence and a first verdict", () => {
    const b: Behaviour = { ...DEFAULT_BEHAVIOUR, silencesPerAgentHour: 0 };
    const r = seededRandom(7);
    const a = newSimAgent("upf-1", labels, probesOf(10), b, T0, r);
    for (let t = T0; t <= T0 + 60_000; t += 5000) advance(a, b, t, r);
    const batches = drainAll(a);
    const recs = batches.flatMap((x) => x.records);
    assert.deepEqual(recs.map((x) => x.seq), recs.map((_, i) => i + 1));
    assert.equal(recs[0].type, "agent-start");
    const probeRuns = recs.filter((x) => x.type === "probe");
    // 60 s of 10 probes at 5/5/5/10/15/10/30/30/30/15 s, staggered: about 12+12+12+6+4+6+2+2+2+4 = 62 runs.
    assert.ok(probeRuns.length >= 55 && probeRuns.length <= 70, `probe runs ${probeRuns.length}`);
    // From unknown, the first result decides (agent/health.ts): one state record per probe.
    assert.equal(recs.filter((x) => x.type === "state" && x.from === "unknown").length, 10);
    assert.ok(recs.some((x) => x.type === "verdict"), "a first verdict once every critical probe is known");
    assert.equal(a.counters.generated, recs.length);
    assert.equal(a.counters.acked, recs.length);
    assert.equal(a.spooled, 0);
  });

  it("turns a failure episode into unhealthy state changes and a verdict change, and back", () => {
    const b: Behaviour = { ...DEFAULT_BEHAVIOUR, silencesPerAgentHour: 0, episodesPerProbeHour: 20, failRate: 0 };
    const r = seededRandom(3);
    const a = newSimAgent("upf-2", labels, probesOf(10), b, T0, r);
    for (let t = T0; t <= T0 + 30 * 60_000; t += 5000) advance(a, b, t, r);
    const recs = drainAll(a).flatMap((x) => x.records);
    const toUnhealthy = recs.filter((x) => x.type === "state" && x.to === "unhealthy");
    const toHealthy = recs.filter((x) => x.type === "state" && x.from === "unhealthy");
    assert.ok(toUnhealthy.length > 0 && toHealthy.length > 0);
    const failures = recs.filter((x) => x.type === "probe" && !x.ok);
    assert.ok(failures.every((x) => x.type === "probe" && x.failure !== undefined && /^Cannot reach /.test(x.failure.message ?? "")));
    assert.ok(a.counters.verdictChanges > 0);
    const verdicts = recs.filter((x) => x.type === "verdict");
    // Each verdict record starts from the previous one's end.
    for (let i = 1; i < verdicts.length; i++) {
      const [p, v] = [verdicts[i - 1], verdicts[i]];
      if (p.type === "verdict" && v.type === "verdict") assert.equal(v.from, p.to);
    }
  });

  it("comes back from a restart with a new boot whose seqs start at 1, after sending what the old boot left", () => {
    const b: Behaviour = { ...DEFAULT_BEHAVIOUR, silencesPerAgentHour: 0, rebootShare: 1 };
    const r = seededRandom(11);
    const a = newSimAgent("upf-3", labels, probesOf(4), b, T0, r);
    advance(a, b, T0 + 10_000, r);
    const firstBoot = a.bootId;
    // Force a silence that is a restart.
    a.silentUntil = T0 + 40_000;
    a.silentReboot = true;
    assert.equal(advance(a, b, T0 + 20_000, r), false);
    assert.equal(advance(a, b, T0 + 45_000, r), true);
    assert.notEqual(a.bootId, firstBoot);
    const batches = drainAll(a);
    assert.equal(batches[0].bootId, firstBoot);
    const second = batches.filter((x) => x.bootId === a.bootId).flatMap((x) => x.records);
    assert.equal(second[0].seq, 1);
    assert.equal(second[0].type, "agent-start");
    // Nothing ran while the agent was down: no record between 20 s and 45 s.
    assert.ok(batches.flatMap((x) => x.records).every((x) => x.at <= T0 + 20_000 || x.at >= T0 + 45_000));
  });

  it("keeps spooling through a partition, and a full spool drops the oldest with a cumulative spool-drop record", () => {
    const b: Behaviour = { ...DEFAULT_BEHAVIOUR, silencesPerAgentHour: 0, maxSpoolRecords: 50 };
    const r = seededRandom(5);
    const a = newSimAgent("upf-4", labels, probesOf(10), b, T0, r);
    a.silentUntil = T0 + 120_000;
    a.silentReboot = false;
    assert.equal(advance(a, b, T0 + 60_000, r), false);
    assert.equal(a.spooled, 50);
    assert.ok(a.counters.dropped > 0);
    const recs = drainAll(a).flatMap((x) => x.records);
    const drops = recs.filter((x) => x.type === "spool-drop");
    assert.ok(drops.length > 0);
    const last = drops[drops.length - 1];
    assert.equal(last.type === "spool-drop" && last.records, a.counters.dropped);
    assert.equal(a.counters.generated, a.counters.acked + a.counters.dropped);
  });

  it("goes silent only after it joined the fleet (a batch acknowledged), however likely silences are", () => {
    // 3,600 silences an hour: one a second on average, so 60 s without one is chance e^-60.
    const b: Behaviour = { ...DEFAULT_BEHAVIOUR, silencesPerAgentHour: 3600 };
    const r = seededRandom(13);
    const a = newSimAgent("upf-6", labels, probesOf(4), b, T0, r);
    for (let t = T0; t <= T0 + 60_000; t += 1000) assert.equal(advance(a, b, t, r), true, `silent at +${t - T0} ms before its first ack`);
    assert.equal(a.counters.silences, 0);
    assert.equal(a.joined, false);
    const head = peek(a, 500)!;
    ack(a, head.bootId, head.records[head.records.length - 1].seq);
    assert.equal(a.joined, true);
    let silentAt: number | undefined;
    for (let t = T0 + 61_000; t <= T0 + 120_000 && silentAt === undefined; t += 1000) if (!advance(a, b, t, r)) silentAt = t;
    assert.ok(silentAt !== undefined && a.counters.silences === 1, "a silence once joined");
  });

  it("releases by seq on ack, so an ack for records dropped meanwhile is harmless", () => {
    const b: Behaviour = { ...DEFAULT_BEHAVIOUR, silencesPerAgentHour: 0 };
    const r = seededRandom(9);
    const a = newSimAgent("upf-5", labels, probesOf(3), b, T0, r);
    advance(a, b, T0 + 30_000, r);
    const head = peek(a, 5)!;
    assert.equal(ack(a, head.bootId, head.records[2].seq), 3);
    assert.equal(peek(a, 1)!.records[0].seq, head.records[3].seq);
    assert.equal(ack(a, head.bootId, head.records[2].seq), 0, "a repeated ack releases nothing");
    assert.equal(ack(a, "another-boot", 99), 0);
  });
});
