/**
 * `reflect gtpu` and `reflect gtpc` judged by tshark: our responders' bytes must dissect as cleanly
 * as osmo-ggsn's. In-process reflectors on 127.0.0.1:20852 / :20823 (decode-as GTP).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runProbe } from "../../probes/run_probe.ts";
import { nodeNet } from "../../runtime/node_net.ts";
import { systemClock } from "../../runtime/clock.ts";
import { gtpc, gtpcOptions, gtpcReflector } from "../../probes/gtpc/mod.ts";
import { gtpu, gtpuOptions, gtpuReflector } from "../../probes/gtpu/mod.ts";
import type { ProbeEnv, ProbeResult, ReflectorHandle } from "../../probes/types.ts";
import { type Proc, startCapture, stopCapture, tsharkFields, tsharkProblems } from "./_peers.ts";

const env: ProbeEnv = { net: nodeNet, now: () => Date.now(), log: () => {} };
const U = 20852, C = 20823;
let dir: string;
let cap: Proc | undefined;
const handles: ReflectorHandle[] = [];
const results: ProbeResult[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "edgeprobe-gtprefl-"));
  cap = await startCapture(`udp port ${U} or udp port ${C}`, join(dir, "gtp.pcapng"));
  handles.push(await gtpuReflector.start({ listen: `127.0.0.1:${U}`, recovery: 4, extra: {} }, env));
  handles.push(await gtpcReflector.start({ listen: `127.0.0.1:${C}`, recovery: 7, extra: { nodeFeatures: "3" } }, env));
});

after(async () => {
  for (const h of handles) await h.close();
  await cap?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("reflect gtpu / reflect gtpc under tshark", () => {
  it("answer GTP-U, GTPv1-C and GTPv2-C echo", async () => {
    const specs = [
      gtpu.create({ name: "u", target: `127.0.0.1:${U}`, intervalMs: 1000, timeoutMs: 1000, options: gtpuOptions.parse({}) }, env),
      gtpc.create({ name: "c1", target: `127.0.0.1:${C}`, intervalMs: 1000, timeoutMs: 1000, options: gtpcOptions.parse({ version: 1 }) }, env),
      gtpc.create({ name: "c2", target: `127.0.0.1:${C}`, intervalMs: 1000, timeoutMs: 1000, options: gtpcOptions.parse({ nodeFeatures: 1 }) }, env),
    ];
    for (const p of specs) {
      const r = await runProbe(p, 1000, systemClock);
      results.push(r);
      assert.equal(r.ok, true, JSON.stringify(r));
      await p.close();
    }
    assert.equal(results[0].facts?.recovery, 4);
    assert.equal(results[1].facts?.restartCounter, 7);
    assert.equal(results[2].facts?.restartCounter, 7);
    assert.equal(results[2].facts?.nodeFeatureNames, "PRN,MABR");
  });

  it("tshark finds nothing malformed or at warning level in either direction", async () => {
    await stopCapture(cap!);
    const file = join(dir, "gtp.pcapng");
    const decodeAs = ["-d", `udp.port==${U},gtp`, "-d", `udp.port==${C},gtp`];
    assert.equal(await tsharkProblems(file, decodeAs), "");
    const packets = await tsharkFields(file, ["gtp.message", "gtp.recovery", "gtpv2.message_type", "gtpv2.rec", "gtpv2.node_features_mabr"], decodeAs);
    assert.equal(packets.length, 6, JSON.stringify(packets));
    assert.deepEqual(packets.filter((p) => Number(p[0]) === 2).map((p) => Number(p[1])), [4, 7]);
    assert.deepEqual(packets.filter((p) => Number(p[2]) === 2).map((p) => [Number(p[3]), p[4]]), [[7, "1"]]);
  });
});
