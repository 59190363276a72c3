/**
 * GTP-U and GTPv1-C echo against osmo-ggsn 1.9.0 (Debian) on 127.0.0.2, restart detection from
 * its state-file restart counter, and tshark as the judge of our packets (protocols.md Part B).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runProbe } from "../../probes/run_probe.ts";
import { nodeNet } from "../../runtime/node_net.ts";
import { systemClock } from "../../runtime/clock.ts";
import { gtpc, gtpcOptions } from "../../probes/gtpc/mod.ts";
import { gtpu, gtpuOptions } from "../../probes/gtpu/mod.ts";
import type { ProbeEnv, ProbeInstance, ProbeResult } from "../../probes/types.ts";
import { type Proc, startCapture, startProcess, stopCapture, tsharkFields, tsharkProblems } from "./_peers.ts";

const HOST = "127.0.0.2";
const env: ProbeEnv = { net: nodeNet, now: () => Date.now(), log: () => {} };

let dir: string;
let ggsn: Proc | undefined;
let capU: Proc | undefined;
let capC: Proc | undefined;
let probeU: ProbeInstance;
let probeC: ProbeInstance;
const results: { u: ProbeResult[]; c: ProbeResult[] } = { u: [], c: [] };

/** No APN: an APN would create a tun device (protocols.md Part B). VTY and CTRL off 127.0.0.1. */
function config(stateDir: string): string {
  return `log stderr
 logging filter all 1
 logging color 0
 logging print category 1
 logging timestamp 0
 logging level lgtp info
 logging level ggsn info
line vty
 no login
 bind ${HOST}
ctrl
 bind ${HOST}
ggsn ggsn0
 gtp state-dir ${stateDir}
 gtp bind-ip ${HOST}
 no shutdown ggsn
`;
}

async function startGgsn(): Promise<Proc> {
  return await startProcess("osmo-ggsn", ["-c", join(dir, "osmo-ggsn.cfg")], /Successfully started/);
}

async function restartCounterOnDisk(): Promise<number> {
  return Number((await readFile(join(dir, "gsn_restart"), "utf8")).trim());
}

async function probeBoth(): Promise<[ProbeResult, ProbeResult]> {
  const u = await runProbe(probeU, 1000, systemClock);
  const c = await runProbe(probeC, 1000, systemClock);
  results.u.push(u);
  results.c.push(c);
  return [u, c];
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "edgeprobe-ggsn-"));
  await writeFile(join(dir, "osmo-ggsn.cfg"), config(dir));
  capU = await startCapture(`udp port 2152 and host ${HOST}`, join(dir, "gtpu.pcapng"));
  capC = await startCapture(`udp port 2123 and host ${HOST}`, join(dir, "gtpc.pcapng"));
  ggsn = await startGgsn();
  probeU = gtpu.create({ name: "ggsn-u", target: HOST, intervalMs: 1000, timeoutMs: 1000, options: gtpuOptions.parse({}) }, env);
  probeC = gtpc.create({ name: "ggsn-c", target: HOST, intervalMs: 1000, timeoutMs: 1000, options: gtpcOptions.parse({ version: 1 }) }, env);
});

after(async () => {
  await probeU?.close();
  await probeC?.close();
  await ggsn?.stop();
  await capU?.stop();
  await capC?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("osmo-ggsn (GTP-U 2152, GTPv1-C 2123)", () => {
  it("answers GTP-U and GTPv1-C echo with its restart counter", async () => {
    const counter = await restartCounterOnDisk();
    for (let i = 0; i < 2; i++) {
      const [u, c] = await probeBoth();
      assert.equal(u.ok, true, JSON.stringify(u));
      assert.equal(c.ok, true, JSON.stringify(c));
      assert.equal(u.facts?.recovery, counter);
      assert.equal(c.facts?.restartCounter, counter);
      assert.equal(c.facts?.peerRestarts, 0);
      assert.equal(c.events, undefined);
    }
  });

  it("reports refused at once while osmo-ggsn is down (connected UDP socket, Bun)", async () => {
    await ggsn!.stop();
    const u = await runProbe(probeU, 1000, systemClock);
    results.u.push(u);
    assert.equal(u.failure?.kind, "refused", JSON.stringify(u));
    assert.ok(u.latencyMs < 200, `refused after ${u.latencyMs}ms`);
  });

  it("reports the restart as a peer-restart event from GTPv1-C, and only a fact from GTP-U", async () => {
    const before = await restartCounterOnDisk();
    ggsn = await startGgsn();
    const now = await restartCounterOnDisk();
    assert.equal(now, (before + 1) % 256, "osmo-ggsn bumps its state-file counter at each start");
    const [u, c] = await probeBoth();
    assert.equal(c.ok, true, JSON.stringify(c));
    assert.equal(c.facts?.restartCounter, now);
    assert.equal(c.facts?.peerRestarts, 1);
    assert.equal(c.events?.length, 1);
    assert.deepEqual(c.events?.[0], {
      type: "peer-restart",
      detail: { field: "restartCounter", previous: before, current: now, direction: "forward", peer: `${HOST}:2123`, peerRestarts: 1 },
    });
    // 29.281 §8.2: the GTP-U Recovery value is not a restart signal.
    assert.equal(u.ok, true);
    assert.equal(u.facts?.recovery, now);
    assert.equal(u.events, undefined);
  });

  it("tshark finds nothing malformed or at warning level, and every packet is there", async () => {
    await Promise.all([stopCapture(capU!), stopCapture(capC!)]);
    const gtpuFile = join(dir, "gtpu.pcapng"), gtpcFile = join(dir, "gtpc.pcapng");
    assert.equal(await tsharkProblems(gtpuFile), "");
    assert.equal(await tsharkProblems(gtpcFile), "");
    // Each answered run: one request + one response (no retransmission on loopback); the refused
    // run: one request (the ICMP error is not UDP).
    const sentU = results.u.reduce((n, r) => n + (r.ok ? 2 * (r.facts!.transmissions as number) : 1), 0);
    const sentC = results.c.reduce((n, r) => n + 2 * (r.facts!.transmissions as number), 0);
    const u = await tsharkFields(gtpuFile, ["gtp.message", "gtp.seq_number", "gtp.recovery"]);
    const c = await tsharkFields(gtpcFile, ["gtp.message", "gtp.seq_number", "gtp.recovery"]);
    assert.equal(u.length, sentU, `GTP-U packets: ${JSON.stringify(u)}`);
    assert.equal(c.length, sentC, `GTPv1-C packets: ${JSON.stringify(c)}`);
    assert.equal(u.length, 2 * 2 + 1 + 2);
    // tshark reads the same sequence and Recovery we do.
    const okU = results.u.filter((r) => r.ok);
    assert.deepEqual(u.filter((p) => Number(p[0]) === 2).map((p) => [Number(p[1]), Number(p[2])]), okU.map((r) => [r.facts!.sequence, r.facts!.recovery]));
    assert.deepEqual(c.filter((p) => Number(p[0]) === 2).map((p) => [Number(p[1]), Number(p[2])]), results.c.map((r) => [r.facts!.sequence, r.facts!.restartCounter]));
  });
});
