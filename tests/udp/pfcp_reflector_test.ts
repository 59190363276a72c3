/**
 * PFCP has no Debian peer (protocols.md Part B): the probe against `edgeprobe reflect pfcp` run
 * as its own process through the CLI, SIGHUP as a simulated restart, and tshark's PFCP dissector
 * as the independent judge of both sides' bytes.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import dgram from "node:dgram";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { runProbe } from "../../probes/run_probe.ts";
import { nodeNet } from "../../runtime/node_net.ts";
import { systemClock } from "../../runtime/clock.ts";
import { pfcp, pfcpOptions } from "../../probes/pfcp/mod.ts";
import { fromHex } from "../../probes/_wire/hex.ts";
import type { ProbeEnv, ProbeInstance, ProbeResult } from "../../probes/types.ts";
import { type Proc, startCapture, startProcess, stopCapture, tsharkFields, tsharkProblems } from "./_peers.ts";

const PORT = 20811;
const TARGET = `127.0.0.1:${PORT}`;
const RTS = 3976214400; // 2026-01-01T00:00:00Z in NTP seconds
const env: ProbeEnv = { net: nodeNet, now: () => Date.now(), log: () => {} };
const bun = process.execPath;
let dir: string;
let reflector: Proc | undefined;
let cap: Proc | undefined;
let probe: ProbeInstance;
const results: ProbeResult[] = [];
let canaryPort = 0;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "edgeprobe-pfcp-"));
  cap = await startCapture(`udp port ${PORT}`, join(dir, "pfcp.pcapng"));
  reflector = await startProcess(bun, ["cli/main.ts", "reflect", "pfcp", "--listen", TARGET, "--recovery", String(RTS)], /listening on/);
  probe = pfcp.create({ name: "n4", target: TARGET, intervalMs: 1000, timeoutMs: 1000, options: pfcpOptions.parse({}) }, env);
});

after(async () => {
  await probe?.close();
  await reflector?.stop();
  await cap?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("pfcp probe against `edgeprobe reflect pfcp` (a separate process)", () => {
  it("gets the reflector's Recovery Time Stamp", async () => {
    for (let i = 0; i < 2; i++) {
      const r = await runProbe(probe, 1000, systemClock);
      results.push(r);
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.equal(r.facts?.recoveryTimeStamp, RTS);
      assert.equal(r.facts?.recoveryTime, "2026-01-01T00:00:00Z");
    }
  });

  it("reports a peer-restart after SIGHUP moves the reflector's recovery value", async () => {
    const logged = reflector!.output().length;
    process.kill(reflector!.pid, "SIGHUP");
    for (let i = 0; i < 50 && !reflector!.output().slice(logged).includes("simulated restart"); i++) await new Promise((r) => setTimeout(r, 20));
    const r = await runProbe(probe, 1000, systemClock);
    results.push(r);
    assert.equal(r.ok, true);
    assert.equal(r.events?.[0]?.type, "peer-restart", JSON.stringify(r));
    assert.equal(r.events?.[0]?.detail.previous, RTS);
    assert.equal(r.events?.[0]?.detail.direction, "forward");
    assert.equal(r.facts?.peerRestarts, 1);
  });

  it("`edgeprobe probe pfcp TARGET --json` prints ok with the facts", async () => {
    const { stdout } = await promisify(execFile)(bun, ["cli/main.ts", "probe", "pfcp", TARGET, "--json"]);
    const out = JSON.parse(stdout);
    assert.equal(out.ok, true, stdout);
    assert.equal(out.kind, null);
    assert.equal(typeof out.facts.recoveryTimeStamp, "number");
    results.push({ ok: true, startedAt: 0, latencyMs: out.latencyMs, facts: out.facts });
  });

  it("sends one malformed datagram as a canary, to prove the tshark check below can fail", async () => {
    // testdata/heartbeat.json "message length beyond the datagram": length 16, 12 bytes follow.
    const s = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => s.bind(0, "127.0.0.1", () => resolve()));
    canaryPort = s.address().port;
    await new Promise<void>((resolve) => s.send(fromHex("20 02 0010 46845f 00 0060 0004 eeb00432"), PORT, "127.0.0.1", () => resolve()));
    s.close();
  });

  it("tshark's PFCP dissector finds nothing malformed or at warning level, and every packet is there", async () => {
    await stopCapture(cap!);
    const file = join(dir, "pfcp.pcapng");
    const decodeAs = ["-d", `udp.port==${PORT},pfcp`];
    const problems = (await tsharkProblems(file, decodeAs)).split("\n");
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.match(problems[0], /Malformed Packet/, "tshark flags the canary");
    const ours = [...decodeAs, "-Y", `udp.srcport != ${canaryPort}`];
    const packets = await tsharkFields(file, ["pfcp.msg_type", "pfcp.seqno", "pfcp.recovery_time_stamp", "udp.payload"], ours);
    const expected = results.reduce((n, r) => n + (r.facts!.transmissions as number) + 1, 0);
    assert.equal(packets.length, expected, JSON.stringify(packets));
    for (const [type, seq, rts, payload] of packets) {
      assert.ok(Number(type) === 1 || Number(type) === 2, `message type ${type}`);
      assert.ok(rts.length > 0, "tshark read a Recovery Time Stamp");
      // protocols.md A1 layout: version 1, S=0, length 12, spare octet 0, then IE 96 of length 4.
      assert.match(payload, new RegExp(`^200${Number(type)}000c[0-9a-f]{6}0000600004[0-9a-f]{8}$`));
      assert.equal(parseInt(payload.slice(8, 14), 16), Number(seq));
    }
    const responses = packets.filter((p) => Number(p[0]) === 2).map((p) => Number(p[1]));
    assert.deepEqual(responses, results.map((r) => r.facts!.sequence));
  });
});
