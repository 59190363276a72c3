/**
 * Probe kinds against their own reflectors over real loopback sockets (node:dgram, ports
 * 20801-20809 of this area's range), under both runtimes. The wire itself is judged elsewhere:
 * golden vectors from protocols.md and tshark in tests/udp/.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { runProbe } from "../run_probe.ts";
import { nodeNet } from "../../runtime/node_net.ts";
import { systemClock } from "../../runtime/clock.ts";
import { detectRuntime } from "../../runtime/detect.ts";
import { fromHex, toHex } from "../_wire/hex.ts";
import { gtpc, gtpcOptions, gtpcReflector } from "../gtpc/mod.ts";
import { gtpu, gtpuOptions, gtpuReflector } from "../gtpu/mod.ts";
import { pfcp, pfcpOptions, pfcpReflector } from "../pfcp/mod.ts";
import type { ProbeEnv, ReflectorHandle } from "../types.ts";

const env: ProbeEnv = { net: nodeNet, now: () => Date.now(), log: () => {} };
const handles: ReflectorHandle[] = [];
after(async () => {
  for (const h of handles) await h.close();
});

async function start(r: typeof pfcpReflector, listen: string, recovery?: number, extra: Record<string, string> = {}) {
  const h = await r.start({ listen, recovery, extra }, env);
  handles.push(h);
  return h;
}

/** Send raw bytes from a fresh socket and return the first answer (or undefined after 300 ms). */
function rawExchange(port: number, bytes: Uint8Array): Promise<Uint8Array | undefined> {
  return new Promise((resolve) => {
    const s = dgram.createSocket("udp4");
    const t = setTimeout(() => {
      s.close();
      resolve(undefined);
    }, 300);
    s.on("message", (m) => {
      clearTimeout(t);
      s.close();
      resolve(new Uint8Array(m));
    });
    s.send(bytes, port, "127.0.0.1");
  });
}

describe("pfcp probe against reflect pfcp", () => {
  it("sees the reflector's Recovery Time Stamp and a peer-restart after restart()", async () => {
    const h = await start(pfcpReflector, "127.0.0.1:20801", 3976214400);
    const p = pfcp.create({ name: "n4", target: "127.0.0.1:20801", intervalMs: 1000, timeoutMs: 1000, options: pfcpOptions.parse({}) }, env);
    const r1 = await runProbe(p, 1000, systemClock);
    assert.equal(r1.ok, true, JSON.stringify(r1));
    assert.equal(r1.facts?.recoveryTimeStamp, 3976214400);
    h.restart();
    const r2 = await runProbe(p, 1000, systemClock);
    assert.equal(r2.events?.[0].type, "peer-restart");
    assert.equal(r2.facts?.peerRestarts, 1);
    assert.notEqual(r2.facts?.recoveryTimeStamp, 3976214400);
    await p.close();
  });

  it("answers a version-2 request with a bare Version Not Supported Response", async () => {
    await start(pfcpReflector, "127.0.0.1:20802");
    const answer = await rawExchange(20802, fromHex("40 01 000c 000007 00 0060 0004 eeb00447"));
    assert.equal(toHex(answer!), "200b000400000700");
  });

  it("stays silent on garbage and on other message types", async () => {
    await start(pfcpReflector, "127.0.0.1:20803");
    assert.equal(await rawExchange(20803, fromHex("20 05 000c 000007 00 0060 0004 eeb00447")), undefined);
    assert.equal(await rawExchange(20803, fromHex("ff")), undefined);
  });
});

describe("gtpu probe against reflect gtpu", () => {
  it("answers an echo with Recovery 0 by default", async () => {
    await start(gtpuReflector, "127.0.0.1:20804");
    const p = gtpu.create({ name: "n3", target: "127.0.0.1:20804", intervalMs: 1000, timeoutMs: 1000, options: gtpuOptions.parse({ burst: 20, burstInterval: 0 }) }, env);
    const r = await runProbe(p, 1000, systemClock);
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.facts?.recovery, 0);
    assert.equal(r.facts?.received, 20);
    await p.close();
  });
});

describe("gtpc probe against reflect gtpc", () => {
  it("v2 and v1 both answered; restart counter moves on restart()", async () => {
    const h = await start(gtpcReflector, "127.0.0.1:20805", 255, { nodeFeatures: "1" });
    const v2 = gtpc.create({ name: "s5", target: "127.0.0.1:20805", intervalMs: 1000, timeoutMs: 1000, options: gtpcOptions.parse({}) }, env);
    const v1 = gtpc.create({ name: "gn", target: "127.0.0.1:20805", intervalMs: 1000, timeoutMs: 1000, options: gtpcOptions.parse({ version: 1 }) }, env);
    const a = await runProbe(v2, 1000, systemClock);
    assert.deepEqual([a.ok, a.facts?.restartCounter, a.facts?.nodeFeatures], [true, 255, 1]);
    const b = await runProbe(v1, 1000, systemClock);
    assert.deepEqual([b.ok, b.facts?.restartCounter, b.facts?.nodeFeatures], [true, 255, undefined]);
    h.restart();
    const c = await runProbe(v2, 1000, systemClock);
    assert.equal(c.facts?.restartCounter, 0);
    assert.equal(c.events?.[0].detail.direction, "forward");
    await v1.close();
    await v2.close();
  });

  it("answers GTP version 3 with a Version Not Supported Indication", async () => {
    await start(gtpcReflector, "127.0.0.1:20806");
    const answer = await rawExchange(20806, fromHex("60 01 0009 000102 00 03 0001 00 05"));
    assert.equal(toHex(answer!), "4003000400010200");
  });

  it("refuses a restart counter beyond 255 and unknown options", async () => {
    await assert.rejects(gtpcReflector.start({ listen: "127.0.0.1:20807", recovery: 256, extra: {} }, env), /0-255/);
    await assert.rejects(gtpuReflector.start({ listen: "127.0.0.1:20807", extra: { nodeFeatures: "1" } }, env), /unknown option --node-features/);
  });
});

describe("connected socket and ICMP port unreachable", () => {
  it("reports refused at once where the runtime surfaces ECONNREFUSED (Bun), timeout otherwise (Deno)", async () => {
    const p = gtpc.create({ name: "x", target: "127.0.0.1:20809", intervalMs: 1000, timeoutMs: 400, options: gtpcOptions.parse({}) }, env);
    const r = await runProbe(p, 400, systemClock);
    const isDeno = detectRuntime() === "deno";
    // Deno 2.9's node:dgram drops ICMP errors on connected sockets (measured; docs/udp-probes.md).
    assert.equal(r.failure?.kind, isDeno ? "timeout" : "refused");
    if (!isDeno) assert.ok(r.latencyMs < 200, `refused took ${r.latencyMs}ms`);
    await p.close();
  });
});
