/**
 * @module One emulated agent, pure: its probes, health, verdict, boots and spool, advanced by
 * the caller's clock. No timers and no I/O here (simulate/simulation.ts drives many of these).
 *
 * What it produces is what a real agent's uplink spools (telemetry/record.ts): probe results,
 * state and verdict changes from the agent's own hysteresis and aggregation (agent/health.ts),
 * peer restarts (a changed Recovery counter), spool drops, agent-start on every boot and
 * agent-stop on a graceful stop. Seqs run from 1 per boot; a new boot starts a new stream, and
 * what the previous boot still held in its spool is sent first (as agent/spool.ts does).
 */
import type { FailureKind, RecordBody, TelemetryRecord, Verdict } from "../telemetry/mod.ts";
import { aggregate, INITIAL_HEALTH, nextProbeHealth, type ProbeHealth } from "../agent/health.ts";
import type { ProbeSpec } from "./probe_mix.ts";
import { between, type Random } from "./rng.ts";

/** How often things go wrong, per probe or agent and hour. */
export interface Behaviour {
  /** Probe intervals are divided by this (2 = twice the records). @default 1 */
  readonly speed: number;
  /** Chance that one run fails outside an episode. @default 0.001 */
  readonly failRate: number;
  /** Failure episodes (a peer down for 15 s - 5 min) per probe and hour. @default 0.05 */
  readonly episodesPerProbeHour: number;
  /** Peer restarts (Recovery counter changes) per recovery-carrying probe and hour. @default 0.02 */
  readonly peerRestartsPerProbeHour: number;
  /** Silences (a link down or the agent stopped) per agent and hour. @default 0.1 */
  readonly silencesPerAgentHour: number;
  /** Shortest and longest silence in ms. @default [10_000, 120_000] */
  readonly silenceMs: readonly [number, number];
  /** Share of silences that are a restart (new boot) rather than a partition (same boot, spool fills). @default 0.5 */
  readonly rebootShare: number;
  /** Records the agent's spool holds; past it the oldest go and a spool-drop is recorded. @default 20_000 */
  readonly maxSpoolRecords: number;
}

export const DEFAULT_BEHAVIOUR: Behaviour = {
  speed: 1,
  failRate: 0.001,
  episodesPerProbeHour: 0.05,
  peerRestartsPerProbeHour: 0.02,
  silencesPerAgentHour: 0.1,
  silenceMs: [10_000, 120_000],
  rebootShare: 0.5,
  maxSpoolRecords: 20_000,
};

const HOUR = 3_600_000;
/** The agent's default hysteresis (agent/config.ts: rise 2, fall 3). */
const POLICY = { rise: 2, fall: 3 };
/** Rough wire size of one record, for the spool-drop byte count (docs/telemetry.md: ~10-24 B). */
const RECORD_BYTES = 16;

interface SimProbe {
  readonly spec: ProbeSpec;
  readonly intervalMs: number;
  next: number;
  health: ProbeHealth;
  /** While now < episodeUntil the peer is failing. */
  episodeUntil: number;
  episodeKind: FailureKind;
  recovery: number;
}

interface Segment {
  readonly bootId: string;
  readonly records: TelemetryRecord[];
  head: number;
}

export interface SimAgentCounters {
  generated: number;
  /** Probe-result records among `generated` (a collector's ok + fail totals must match). */
  probeResults: number;
  acked: number;
  dropped: number;
  boots: number;
  stateChanges: number;
  verdictChanges: number;
  peerRestarts: number;
  silences: number;
}

export interface SimAgent {
  readonly id: string;
  readonly labels: Readonly<Record<string, string>>;
  bootId: string;
  seq: number;
  verdict: Verdict | undefined;
  readonly probes: SimProbe[];
  readonly spool: Segment[];
  spooled: number;
  droppedThisBoot: number;
  /** While now < silentUntil the agent sends nothing. */
  silentUntil: number;
  /** A restart (new boot when it returns) rather than a partition. */
  silentReboot: boolean;
  /**
   * The collector acknowledged a batch of this agent: it is a node of the fleet. Silences start
   * only after that (see advance()).
   */
  joined: boolean;
  lastAdvance: number;
  readonly counters: SimAgentCounters;
}

export function newCounters(): SimAgentCounters {
  return { generated: 0, probeResults: 0, acked: 0, dropped: 0, boots: 0, stateChanges: 0, verdictChanges: 0, peerRestarts: 0, silences: 0 };
}

const bootIdOf = (random: Random) => Math.floor(random() * 2 ** 52).toString(36).padStart(11, "0");

function push(a: SimAgent, r: RecordBody): void {
  a.spool[a.spool.length - 1].records.push({ ...r, seq: ++a.seq } as TelemetryRecord);
  a.spooled++;
  a.counters.generated++;
}

function append(a: SimAgent, b: Behaviour, r: RecordBody): void {
  push(a, r);
  if (a.spooled <= b.maxSpoolRecords) return;
  // Full: the oldest records go (agent/spool.ts drops whole segments; single records are the
  // same policy at finer grain), leaving room for a spool-drop record with this boot's
  // cumulative count, so the newest report always tells the whole loss.
  while (a.spooled > b.maxSpoolRecords - 1) {
    const first = a.spool.find((s) => s.head < s.records.length)!;
    first.head++;
    a.spooled--;
    a.counters.dropped++;
    if (first.bootId === a.bootId) a.droppedThisBoot++;
  }
  push(a, { type: "spool-drop", at: r.at, records: a.droppedThisBoot, bytes: a.droppedThisBoot * RECORD_BYTES });
}

function boot(a: SimAgent, b: Behaviour, now: number, random: Random, version: string): void {
  a.bootId = bootIdOf(random);
  a.seq = 0;
  a.verdict = undefined;
  a.droppedThisBoot = 0;
  a.counters.boots++;
  a.spool.push({ bootId: a.bootId, records: [], head: 0 });
  append(a, b, { type: "agent-start", at: now, version, labels: { ...a.labels } });
  for (const p of a.probes) {
    p.health = INITIAL_HEALTH;
    // The scheduler staggers first runs over one interval (agent/scheduler.ts).
    p.next = now + random() * p.intervalMs;
  }
}

export function newSimAgent(id: string, labels: Record<string, string>, probes: readonly ProbeSpec[], b: Behaviour, now: number, random: Random): SimAgent {
  const a: SimAgent = {
    id,
    labels,
    bootId: "",
    seq: 0,
    verdict: undefined,
    probes: probes.map((spec) => ({
      spec,
      intervalMs: Math.max(1, Math.round(spec.intervalMs / b.speed)),
      next: now,
      health: INITIAL_HEALTH,
      episodeUntil: 0,
      episodeKind: spec.failures[0],
      recovery: 3_900_000_000 + Math.floor(random() * 1_000_000),
    })),
    spool: [],
    spooled: 0,
    droppedThisBoot: 0,
    silentUntil: 0,
    silentReboot: false,
    joined: false,
    lastAdvance: now,
    counters: newCounters(),
  };
  boot(a, b, now, random, SIM_VERSION);
  return a;
}

export const SIM_VERSION = "0.1.0-sim";

/** A latency with a log-normal-ish body and a 1 % tail up to 8x. */
function latency(median: number, random: Random): number {
  const body = median * Math.exp((random() + random() + random() - 1.5) * 0.5);
  return Math.round(random() < 0.01 ? body * between(random, 2, 8) : body);
}

function runProbe(a: SimAgent, b: Behaviour, p: SimProbe, t: number, random: Random): void {
  const spec = p.spec;
  const perRun = p.intervalMs / HOUR;
  if (t >= p.episodeUntil && random() < b.episodesPerProbeHour * perRun * b.speed) {
    p.episodeUntil = t + between(random, 15_000, 300_000) / b.speed;
    p.episodeKind = spec.failures[Math.floor(random() * spec.failures.length)];
  }
  const inEpisode = t < p.episodeUntil;
  const ok = inEpisode ? random() < 0.05 : random() >= b.failRate;
  if (spec.recovery && ok && random() < b.peerRestartsPerProbeHour * perRun * b.speed) {
    const before = p.recovery;
    p.recovery += 1 + Math.floor(random() * 600);
    a.counters.peerRestarts++;
    append(a, b, { type: "peer-restart", at: t, probe: spec.name, detail: { recoveryTimeStamp: p.recovery, previous: before } });
  }
  const kind = inEpisode ? p.episodeKind : spec.failures[0];
  a.counters.probeResults++;
  append(a, b, {
    type: "probe",
    at: t,
    probe: spec.name,
    kind: spec.kind,
    ok,
    latencyUs: ok ? latency(spec.latencyUs, random) : kind === "timeout" ? 2_000_000 : latency(spec.latencyUs, random),
    ...(ok ? {} : { failure: { kind, message: `Cannot reach ${spec.name}: ${kind}` } }),
    ...(spec.recovery ? { facts: { recoveryTimeStamp: p.recovery } } : {}),
  } as RecordBody);
  const prev = p.health;
  p.health = nextProbeHealth(prev, ok, POLICY);
  if (p.health.state !== prev.state) {
    a.counters.stateChanges++;
    append(a, b, { type: "state", at: t, probe: spec.name, from: prev.state, to: p.health.state });
    const v = aggregate(a.probes.map((q) => ({ name: q.spec.name, critical: q.spec.critical, state: q.health.state })));
    if (v.criticalKnown && v.status !== a.verdict) {
      if (a.verdict !== undefined) a.counters.verdictChanges++;
      append(a, b, { type: "verdict", at: t, from: a.verdict ?? "UP", to: v.status, causes: [...v.downCauses, ...v.degradedCauses] });
      a.verdict = v.status;
    }
  }
}

/**
 * Run the agent's probes up to `now` (each run at its own time), start or end a silence.
 *
 * A silence starts only once the agent has joined (a batch acknowledged). Drawn from the
 * simulation's start instead, about 0.7 of 10,000 agents went silent inside their first-send
 * spread (0.1 silences an hour × up to 5 s each) and stayed off the collector for 10-120 s: in
 * 47 % of fleets of 10,000 at least one agent was missing, in 30 % for over a minute (200 seeded
 * fleets), which is what made the 10,000-node browser test wait 6 s in some runs and over 120 s in
 * others (docs/fleet-simulator.md). A silence is something that happens to a node the NOC knows.
 * @returns false while the agent is silent (nothing may be sent).
 */
export function advance(a: SimAgent, b: Behaviour, now: number, random: Random): boolean {
  const from = a.lastAdvance;
  a.lastAdvance = now;
  if (now < a.silentUntil) {
    if (a.silentReboot) return false;
  } else if (a.silentUntil !== 0) {
    // Back: a restart starts a new boot; a partition just resumes sending its backlog.
    if (a.silentReboot) boot(a, b, now, random, SIM_VERSION);
    a.silentUntil = 0;
  } else if (a.joined && random() < b.silencesPerAgentHour * ((now - from) / HOUR) * b.speed) {
    a.counters.silences++;
    a.silentUntil = now + between(random, b.silenceMs[0], b.silenceMs[1]) / b.speed;
    a.silentReboot = random() < b.rebootShare;
    if (a.silentReboot) {
      // Half of the restarts are graceful (systemd stop): an agent-stop record goes first.
      if (random() < 0.5) append(a, b, { type: "agent-stop", at: now, reason: "SIGTERM" });
      return false;
    }
  }
  for (const p of a.probes) {
    while (p.next <= now) {
      runProbe(a, b, p, Math.floor(p.next), random);
      p.next += p.intervalMs * between(random, 0.98, 1.02);
    }
  }
  return now >= a.silentUntil;
}

/** The spool head: up to `max` records of the oldest boot that still has some. */
export function peek(a: SimAgent, max: number): { bootId: string; records: TelemetryRecord[] } | undefined {
  while (a.spool.length > 1 && a.spool[0].head >= a.spool[0].records.length) a.spool.shift();
  const seg = a.spool[0];
  if (!seg || seg.head >= seg.records.length) return undefined;
  return { bootId: seg.bootId, records: seg.records.slice(seg.head, seg.head + max) };
}

/** Release what the collector acknowledged (highest contiguous seq of `bootId`). */
export function ack(a: SimAgent, bootId: string, seq: number): number {
  a.joined = true;
  const seg = a.spool.find((s) => s.bootId === bootId);
  if (!seg) return 0;
  let n = 0;
  while (seg.head < seg.records.length && seg.records[seg.head].seq <= seq) {
    seg.head++;
    n++;
  }
  // Compact: keep memory at what is pending, not what was ever sent.
  if (seg.head > 1024 && seg.head * 2 > seg.records.length) {
    seg.records.splice(0, seg.head);
    seg.head = 0;
  }
  a.spooled -= n;
  a.counters.acked += n;
  return n;
}
