/**
 * @module The contract every probe kind keeps, as one suite each kind's `contract_test.ts` runs
 * (Hono's `runTest({ newRouter })` for its routers): a closed port classified, the run's
 * timeout and an abort honoured by the kind itself, no socket left open, and every result
 * well-formed down to the telemetry wire record. Real loopback peers, no mocks.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import dgram from "node:dgram";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { decodeRecord, encodeRecord, FAILURE_KINDS, type FailureKind, probeRecordSchema } from "../telemetry/mod.ts";
import { detectRuntime } from "../runtime/detect.ts";
import { nodeNet } from "../runtime/node_net.ts";
import { systemClock } from "../runtime/clock.ts";
import { runProbe } from "./run_probe.ts";
import { probeKinds, reflectors } from "./mod.ts";
import type { ProbeInstance, ProbeKind, ProbeResult } from "./types.ts";

export interface ProbeKindContract {
  /** The kind under test, as registered in probes/mod.ts. */
  readonly kind: ProbeKind<unknown>;
  /** The transport of its silent peer: a TCP server that accepts and never writes, or a UDP socket that never answers. */
  readonly transport: "tcp" | "udp";
  /** Target and options that point the kind at a loopback port. */
  spec(port: number): { target: string; options?: Record<string, unknown> };
  /** Options that make the kind wait on the silent peer (tcp: a TLS handshake no one answers). */
  readonly silentOptions?: Record<string, unknown>;
  /**
   * What a closed port is reported as, when not `refused` everywhere, with the reason: a kind
   * whose transport cannot see ICMP port unreachable reports `timeout` after its budget.
   */
  readonly closedPort?: { readonly kind: (runtime: string) => FailureKind; readonly why: string };
  /** A peer that answers, for one successful run (a reflector, or a few lines of node:net/http). */
  readonly responder?: () => Promise<{ port: number; close(): Promise<void> }>;
}

/**
 * What the UDP kinds report for a closed port: a connected UDP socket sees ICMP port unreachable
 * (`refused`); Deno's node:dgram does not surface it, so there it is a `timeout`
 * (docs/udp-probes.md, "Deno does not surface ICMP port unreachable").
 */
export const UDP_CLOSED_PORT = {
  kind: (runtime: string): FailureKind => (runtime === "deno" ? "timeout" : "refused"),
  why: "Deno's node:dgram does not surface ICMP port unreachable",
} as const;

/** How long past its deadline a run may take to come back: timers on a loaded 2-core box lag. */
const SLACK_MS = 1000;
const TIMEOUT_MS = 120;
const ABORT_AFTER_MS = 30;
const env = { net: nodeNet, now: () => Date.now(), log: () => {} };

/** Inodes of this process's open sockets (Linux /proc), peers included: a leaked client keeps its peer's socket open too. */
function openSocketInodes(): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // closed while we looked
    }
  }
  return inodes;
}

/** What /proc/self/net says of a socket: its table and its two ports (hex in the file). */
interface SocketRow {
  readonly table: string;
  readonly local: number;
  readonly remote: number;
}

/** Every socket of this network namespace by inode: inet rows with their ports, unix and netlink ones by table only. */
function socketTable(): Map<string, SocketRow> {
  const rows = new Map<string, SocketRow>();
  for (const table of ["tcp", "tcp6", "udp", "udp6"]) {
    let text = "";
    try {
      text = readFileSync(`/proc/self/net/${table}`, "utf8");
    } catch {
      continue; // no IPv6 in this namespace
    }
    // proc(5): "sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode"
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const port = (addr: string) => parseInt(addr.slice(addr.indexOf(":") + 1), 16);
      rows.set(f[9], { table, local: port(f[1]), remote: port(f[2]) });
    }
  }
  for (const table of ["unix", "netlink"]) {
    let text = "";
    try {
      text = readFileSync(`/proc/self/net/${table}`, "utf8");
    } catch {
      continue;
    }
    // unix: inode is the 7th field; netlink: the 10th.
    const at = table === "unix" ? 6 : 9;
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > at) rows.set(f[at], { table, local: 0, remote: 0 });
    }
  }
  return rows;
}

/**
 * Sockets opened since `baseline` that belong to this kind's runs: an inet socket to or from one
 * of its peers' ports, or a socket in no table at all (an inet socket that never connected, or
 * failed to, stays open yet is hashed nowhere). `bun test` runs every unit file in one process,
 * so a socket another file's leftover work opens meanwhile (a reconnecting client, a resolver)
 * is not this kind's and must not fail its contract; a CI run saw exactly that once.
 */
function newSocketsOf(baseline: ReadonlySet<string>, ports: ReadonlySet<number>): string[] {
  const table = socketTable();
  const ours: string[] = [];
  for (const inode of openSocketInodes()) {
    if (baseline.has(inode)) continue;
    const row = table.get(inode);
    if (row === undefined) ours.push(`socket:[${inode}] (in no table)`);
    else if ((row.table.startsWith("tcp") || row.table.startsWith("udp")) && (ports.has(row.local) || ports.has(row.remote))) {
      ours.push(`${row.table} ${row.local} -> ${row.remote}`);
    }
  }
  return ours;
}

/** A loopback port free for both TCP and UDP right now (reflectors take no port 0; SIP's listens on both). */
async function freePort(): Promise<number> {
  for (;;) {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    const udp = dgram.createSocket("udp4");
    const free = await new Promise<boolean>((r) => {
      udp.once("error", () => r(false));
      udp.bind(port, "127.0.0.1", () => r(true));
    });
    await new Promise((r) => server.close(r));
    await new Promise<void>((r) => (free ? udp.close(() => r()) : r()));
    if (free) return port;
  }
}

/** A reflector from probes/mod.ts on a free loopback port. */
export function reflectorResponder(name: string, extra: Record<string, string> = {}): () => Promise<{ port: number; close(): Promise<void> }> {
  return async () => {
    const h = await reflectors[name].start({ listen: `127.0.0.1:${await freePort()}`, extra }, env);
    return { port: h.address.port, close: () => h.close() };
  };
}

/** Every field a result must have, and its telemetry record must survive the wire codec. */
export function assertWellFormed(r: ProbeResult, kind: string): void {
  assert.equal(typeof r.ok, "boolean");
  assert.ok(Number.isFinite(r.latencyMs) && r.latencyMs >= 0, `latencyMs ${r.latencyMs}`);
  assert.ok(Number.isFinite(r.startedAt) && r.startedAt > 0, `startedAt ${r.startedAt}`);
  assert.equal(r.ok, r.failure === undefined, "a failure exactly when not ok");
  if (r.failure) {
    assert.ok((FAILURE_KINDS as readonly string[]).includes(r.failure.kind), `failure kind ${r.failure.kind}`);
    assert.ok(typeof r.failure.message === "string" && r.failure.message.length > 0, "a failure message");
  }
  for (const [k, v] of Object.entries(r.facts ?? {})) {
    assert.ok(typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v)), `fact ${k}=${String(v)}`);
  }
  for (const e of r.events ?? []) assert.ok(["peer-restart", "leader-change", "peer-event"].includes(e.type), `event ${e.type}`);
  const record = probeRecordSchema.parse({
    type: "probe",
    at: Math.round(r.startedAt),
    probe: "contract",
    kind,
    ok: r.ok,
    latencyUs: Math.round(r.latencyMs * 1000),
    ...(r.failure ? { failure: { kind: r.failure.kind, message: r.failure.message, ...(r.failure.reason ? { reason: r.failure.reason } : {}) } } : {}),
    ...(r.facts && Object.keys(r.facts).length ? { facts: { ...r.facts } } : {}),
  });
  assert.deepEqual(decodeRecord(encodeRecord(record)), record);
}

/** Settles within `ms`, or says it hung. */
async function settlesWithin<T>(p: Promise<T>, ms: number, what: string): Promise<{ value?: T; error?: unknown; ms: number }> {
  const t0 = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<never>((_, reject) => timer = setTimeout(() => reject(new Error(`${what}: still running after ${ms}ms`)), ms));
  try {
    const value = await Promise.race([p, hung]);
    return { value, ms: performance.now() - t0 };
  } catch (error) {
    if ((error as Error).message?.startsWith(`${what}: still running`)) throw error;
    return { error, ms: performance.now() - t0 };
  } finally {
    clearTimeout(timer);
  }
}

/** Register the contract suite of one kind. */
export function probeKindContract(c: ProbeKindContract): void {
  const name = c.kind.kind;
  describe(`probe kind contract: ${name}`, () => {
    let silent: { port: number; close(): Promise<void> };
    let closedPort = 0;
    const held: Socket[] = [];
    const results: ProbeResult[] = [];
    let baseline: ReadonlySet<string> = new Set();
    /** Every port this kind's runs talk to: its silent peer, the closed port, responders. */
    const ports = new Set<number>();
    const openPeers = () => held.filter((s) => !s.destroyed).length;
    /** Wait (bounded) until the peer's side of every closed connection has closed as well. */
    const settle = async () => {
      for (let waited = 0; openPeers() > 0 && waited < 2000; waited += 25) await new Promise((r) => setTimeout(r, 25));
      await new Promise((r) => setTimeout(r, 25));
    };
    const create = (port: number, extra: Record<string, unknown> = {}, timeoutMs = TIMEOUT_MS): ProbeInstance => {
      const s = c.spec(port);
      return c.kind.create({ name: "contract", target: s.target, intervalMs: 1000, timeoutMs, options: c.kind.options.parse({ ...s.options, ...extra }) }, env);
    };

    before(async () => {
      if (c.transport === "tcp") {
        // Reads and drops what it gets: a socket left unread never sees the client's FIN.
        const server: Server = createServer((s) => {
          held.push(s);
          s.resume();
          s.on("error", () => {});
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        silent = { port: (server.address() as { port: number }).port, close: () => new Promise((r) => server.close(() => r())) };
      } else {
        const sock = dgram.createSocket("udp4");
        await new Promise<void>((r) => sock.bind(0, "127.0.0.1", r));
        silent = { port: sock.address().port, close: () => new Promise((r) => sock.close(() => r())) };
      }
      // A port nothing listens on: bound once, then closed.
      const probe = createServer();
      await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
      closedPort = (probe.address() as { port: number }).port;
      await new Promise((r) => probe.close(r));
      // The runtime opens some sockets once, lazily (resolver, TLS context): a first
      // create/run/abort/close cycle, then the count every later test must come back to.
      for (const [port, extra] of [[closedPort, {}], [silent.port, c.silentOptions ?? {}]] as const) {
        const p = create(port, extra);
        await runProbe(p, TIMEOUT_MS, systemClock);
        await p.close();
      }
      await settle();
      ports.add(silent.port).add(closedPort);
      baseline = existsSync("/proc/self/fd") ? openSocketInodes() : new Set();
    });
    after(async () => {
      for (const s of held) s.destroy();
      await silent.close();
    });

    it("is registered under its name, with a summary, an example and options that parse from nothing", () => {
      assert.equal(probeKinds[name], c.kind);
      assert.ok(c.kind.summary.length > 0);
      assert.match(c.kind.example ?? "", new RegExp(`^edgeprobe probe ${name} \\S+`));
      assert.ok(c.kind.options.safeParse(c.spec(1).options ?? {}).success);
    });

    const expected = c.closedPort?.kind(detectRuntime()) ?? "refused";
    it(`classifies a closed port as ${expected}${c.closedPort ? ` (${c.closedPort.why})` : ""}`, async () => {
      // refused must come at once; a kind that cannot see it gets the short budget.
      const budget = expected === "refused" ? 1000 : TIMEOUT_MS;
      const p = create(closedPort, {}, budget);
      try {
        const r = await runProbe(p, budget, systemClock);
        results.push(r);
        assert.equal(r.ok, false);
        assert.equal(r.failure?.kind, expected, r.failure?.message);
        // refused is told at once, not after the budget.
        if (expected === "refused") assert.ok(r.latencyMs < budget, `refused after ${r.latencyMs}ms`);
      } finally {
        await p.close();
      }
    });

    it("honours its timeout itself: run(signal) settles when the signal's deadline passes", async () => {
      const p = create(silent.port, c.silentOptions);
      try {
        const direct = await settlesWithin(p.run(AbortSignal.timeout(TIMEOUT_MS)), TIMEOUT_MS + SLACK_MS, `${name} run() against a silent peer`);
        assert.ok(direct.error !== undefined || direct.value?.ok === false, "a silent peer is not a success");
        const r = await runProbe(p, TIMEOUT_MS, systemClock);
        results.push(r);
        assert.equal(r.failure?.kind, "timeout", r.failure?.message);
        assert.ok(r.latencyMs < TIMEOUT_MS + SLACK_MS, `timed out after ${r.latencyMs}ms`);
      } finally {
        await p.close();
      }
    });

    it("honours an abort: run(signal) settles soon after the signal aborts, long before its budget", async () => {
      const p = create(silent.port, c.silentOptions, 10_000);
      try {
        const ac = new AbortController();
        setTimeout(() => ac.abort(), ABORT_AFTER_MS);
        const direct = await settlesWithin(p.run(AbortSignal.any([ac.signal, AbortSignal.timeout(10_000)])), ABORT_AFTER_MS + SLACK_MS, `${name} run() after abort`);
        assert.ok(direct.error !== undefined, "an aborted run rejects");
        const stop = new AbortController();
        setTimeout(() => stop.abort(), ABORT_AFTER_MS);
        const r = await runProbe(p, 10_000, systemClock, stop.signal);
        results.push(r);
        assert.equal(r.ok, false);
        assert.ok(r.latencyMs < ABORT_AFTER_MS + SLACK_MS, `aborted after ${r.latencyMs}ms`);
      } finally {
        await p.close();
      }
    });

    if (c.responder) {
      it("answers ok against a live peer", async () => {
        const peer = await c.responder!();
        ports.add(peer.port);
        const p = create(peer.port, {}, 2000);
        try {
          const r = await runProbe(p, 2000, systemClock);
          results.push(r);
          assert.equal(r.ok, true, JSON.stringify(r.failure));
        } finally {
          await p.close();
          await peer.close();
        }
      });
    }

    it("leaves no socket open: after every run above and close(), no socket of the process talks to its peers or sits unconnected", { skip: existsSync("/proc/self/fd") ? false : "needs Linux /proc" }, async () => {
      await settle();
      assert.equal(openPeers(), 0, `${openPeers()} connection(s) to the silent peer still open after close()`);
      const leaked = newSocketsOf(baseline, ports);
      assert.deepEqual(leaked, [], `${leaked.length} socket(s) of this kind's runs still open after close(): ${leaked.join(", ")}`);
    });

    it("returns well-formed results that encode as telemetry records", () => {
      assert.ok(results.length >= 3);
      for (const r of results) assertWellFormed(r, name);
    });
  });
}

/** Names of every registered kind: the registry test checks each has a contract_test.ts. */
export const registeredKinds = (): string[] => Object.keys(probeKinds);
