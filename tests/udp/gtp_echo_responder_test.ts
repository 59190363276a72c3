/**
 * GTPv2-C (and GTPv1-C) echo against `gtp-echo-responder -l 127.0.0.3 -R 9 -N 0x01` from the
 * Debian osmo-ggsn package, judged by tshark (protocols.md A3, Part B).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runProbe } from "../../probes/run_probe.ts";
import { nodeNet } from "../../runtime/node_net.ts";
import { systemClock } from "../../runtime/clock.ts";
import { encodeV1EchoRequest, gtpc, gtpcOptions } from "../../probes/gtpc/mod.ts";
import type { ProbeEnv, ProbeResult } from "../../probes/types.ts";
import { type Proc, startCapture, startProcess, stopCapture, waitForUdpAnswer, tsharkFields, tsharkProblems } from "./_peers.ts";

const HOST = "127.0.0.3";
const env: ProbeEnv = { net: nodeNet, now: () => Date.now(), log: () => {} };
let dir: string;
let responder: Proc | undefined;
let cap: Proc | undefined;
const results: ProbeResult[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "edgeprobe-ger-"));
  // The flag is -N whatever --help says (protocols.md Part B). It prints nothing when ready, so
  // wait for its first answer before the capture starts.
  responder = await startProcess("gtp-echo-responder", ["-l", HOST, "-R", "9", "-N", "0x01"], undefined);
  await waitForUdpAnswer(HOST, 2123, encodeV1EchoRequest({ sequence: 1 }));
  cap = await startCapture(`udp port 2123 and host ${HOST}`, join(dir, "gtpc.pcapng"));
});

after(async () => {
  await responder?.stop();
  await cap?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("gtp-echo-responder (GTPv2-C 2123)", () => {
  it("GTPv2-C: Recovery 9 and Node Features PRN as facts", async () => {
    const p = gtpc.create({ name: "ger", target: HOST, intervalMs: 1000, timeoutMs: 2000, options: gtpcOptions.parse({}) }, env);
    for (let i = 0; i < 2; i++) {
      const r = await runProbe(p, 2000, systemClock);
      results.push(r);
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.equal(r.facts?.restartCounter, 9);
      assert.equal(r.facts?.nodeFeatures, 1);
      assert.equal(r.facts?.nodeFeatureNames, "PRN");
      assert.ok((r.facts!.sequence as number) <= 0x7fffff, "GTPv2 sequence top bit is 0");
    }
    await p.close();
  });

  it("GTPv1-C: Recovery 9, no Node Features", async () => {
    const p = gtpc.create({ name: "ger1", target: HOST, intervalMs: 1000, timeoutMs: 1000, options: gtpcOptions.parse({ version: 1 }) }, env);
    const r = await runProbe(p, 1000, systemClock);
    results.push(r);
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.facts?.restartCounter, 9);
    assert.equal(r.facts?.nodeFeatures, undefined);
    await p.close();
  });

  it("tshark finds nothing malformed or at warning level, and every packet is there", async () => {
    await stopCapture(cap!);
    const file = join(dir, "gtpc.pcapng");
    assert.equal(await tsharkProblems(file), "");
    const packets = await tsharkFields(file, ["gtpv2.message_type", "gtpv2.seq", "gtpv2.rec", "gtpv2.node_features_prn", "gtp.message", "gtp.recovery"]);
    // Every answered request: its transmissions (1 on loopback) + one response.
    const expected = results.reduce((n, r) => n + (r.facts!.transmissions as number) + 1, 0);
    assert.equal(packets.length, expected, JSON.stringify(packets));
    const v2Responses = packets.filter((p) => Number(p[0]) === 2);
    assert.deepEqual(v2Responses.map((p) => [Number(p[1]), Number(p[2]), p[3]]), results.slice(0, 2).map((r) => [r.facts!.sequence, 9, "1"]));
    const v1Responses = packets.filter((p) => Number(p[4]) === 2);
    assert.deepEqual(v1Responses.map((p) => Number(p[5])), [9]);
  });
});
