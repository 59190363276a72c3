import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { runProbe } from "../run_probe.ts";
import { systemClock } from "../../runtime/clock.ts";
import { fromHex, toHex } from "../_wire/hex.ts";
import {
  decodeHeartbeatRequest,
  encodeHeartbeatResponse,
  encodeVersionNotSupportedResponse,
  pfcp,
  pfcpOptions,
} from "../pfcp/mod.ts";
import { decodeEchoRequest, encodeEchoResponse, gtpu, gtpuOptions } from "../gtpu/mod.ts";
import { decodeV2EchoRequest, encodeV2EchoResponse, gtpc, gtpcOptions } from "../gtpc/mod.ts";
import type { ProbeEnv } from "../types.ts";
import { fakeNet } from "./fake_net_test_kit.ts";
import type { FakeNet } from "./fake_net_test_kit.ts";

const env = (net: FakeNet): ProbeEnv => ({ net, now: () => Date.now(), log: () => {} });
const spec = <O>(options: O, timeoutMs = 1000, target = "127.0.0.1:8805") => ({ name: "t", target, intervalMs: 1000, timeoutMs, options });

describe("pfcp probe on a scripted peer", () => {
  it("answers ok with the peer's recovery facts, and reports a peer-restart when it changes", async () => {
    let rts = 0xeeb00432;
    const net = fakeNet((d, ctx) => ctx.reply(encodeHeartbeatResponse({ sequence: decodeHeartbeatRequest(d).sequence, recoveryTimeStamp: rts })));
    const p = pfcp.create(spec(pfcpOptions.parse({ recoveryTimeStamp: 0xeeb00447 })), env(net));
    const r1 = await runProbe(p, 1000, systemClock);
    assert.equal(r1.ok, true, JSON.stringify(r1));
    assert.equal(r1.facts?.recoveryTimeStamp, 0xeeb00432);
    assert.equal(r1.facts?.recoveryTime, "2026-11-24T12:40:18Z");
    assert.equal(r1.facts?.peerRestarts, 0);
    assert.equal(r1.events, undefined);
    assert.equal(decodeHeartbeatRequest(net.sent[0]).recoveryTimeStamp, 0xeeb00447);
    rts += 60;
    const r2 = await runProbe(p, 1000, systemClock);
    assert.equal(r2.facts?.peerRestarts, 1);
    assert.deepEqual(r2.events, [{
      type: "peer-restart",
      detail: { field: "recoveryTimeStamp", previous: 0xeeb00432, current: 0xeeb00432 + 60, direction: "forward", peer: "127.0.0.1:8805", peerRestarts: 1 },
    }]);
    assert.equal(net.opened, 1, "one socket per probe instance");
    await p.close();
    assert.equal(net.closed, 1);
  });

  it("compares the recovery time stamp modulo 2^32 across the NTP era wrap", async () => {
    let rts = 0xfffffff0;
    const net = fakeNet((d, ctx) => ctx.reply(encodeHeartbeatResponse({ sequence: decodeHeartbeatRequest(d).sequence, recoveryTimeStamp: rts })));
    const p = pfcp.create(spec(pfcpOptions.parse({})), env(net));
    await runProbe(p, 1000, systemClock);
    rts = 0x10;
    const r = await runProbe(p, 1000, systemClock);
    assert.equal(r.events?.[0].detail.direction, "forward");
    await p.close();
  });

  it("retransmits byte-identical requests every T1 and reports the transmissions", async () => {
    let n = 0;
    const net = fakeNet((d, ctx) => {
      if (++n === 3) ctx.reply(encodeHeartbeatResponse({ sequence: decodeHeartbeatRequest(d).sequence, recoveryTimeStamp: 1 }));
    });
    const p = pfcp.create(spec(pfcpOptions.parse({ t1: "20ms", n1: 3 })), env(net));
    const r = await runProbe(p, 1000, systemClock);
    assert.equal(r.ok, true);
    assert.equal(r.facts?.transmissions, 3);
    assert.equal(net.sent.length, 3);
    assert.equal(toHex(net.sent[1]), toHex(net.sent[0]));
    assert.equal(toHex(net.sent[2]), toHex(net.sent[0]));
    assert.ok(r.latencyMs >= 40, `RTT counts from the first transmission: ${r.latencyMs}`);
    await p.close();
  });

  it("gives up after N1 retransmissions as a timeout, inside the budget", async () => {
    const net = fakeNet(() => {});
    const p = pfcp.create(spec(pfcpOptions.parse({ t1: "20ms", n1: 2 })), env(net));
    const t0 = performance.now();
    const r = await runProbe(p, 1000, systemClock);
    assert.equal(r.failure?.kind, "timeout");
    assert.match(r.failure!.message, /no answer to 3 transmission/);
    assert.equal(net.sent.length, 3);
    assert.ok(performance.now() - t0 < 500);
    await p.close();
  });

  it("derives T1 from the timeout so N1 retransmissions fit the budget", async () => {
    const net = fakeNet(() => {});
    const p = pfcp.create(spec(pfcpOptions.parse({ n1: 3 }), 200), env(net));
    const r = await runProbe(p, 200, systemClock);
    assert.equal(r.failure?.kind, "timeout");
    assert.ok(net.sent.length >= 3 && net.sent.length <= 4, `sent ${net.sent.length}`);
    await p.close();
  });

  it("refuses options whose retransmissions cannot fit the timeout", () => {
    assert.throws(() => pfcp.create(spec(pfcpOptions.parse({ t1: "500ms", n1: 3 }), 1000), env(fakeNet(() => {}))), /exceeds the timeout 1000ms/);
  });

  it("uses a fresh sequence for each run and ignores stray answers", async () => {
    const net = fakeNet((d, ctx) => {
      const seq = decodeHeartbeatRequest(d).sequence;
      ctx.reply(encodeHeartbeatResponse({ sequence: (seq + 7) & 0xffffff, recoveryTimeStamp: 1 })); // not ours
      ctx.reply(encodeHeartbeatResponse({ sequence: seq, recoveryTimeStamp: 1 }), { address: "127.0.0.9", port: 8805 }); // wrong peer
      ctx.reply(encodeHeartbeatResponse({ sequence: seq, recoveryTimeStamp: 1 }), { address: "127.0.0.1", port: 9999 }); // wrong port
      ctx.reply(encodeHeartbeatResponse({ sequence: seq, recoveryTimeStamp: 1 }));
    });
    const p = pfcp.create(spec(pfcpOptions.parse({})), env(net));
    const r1 = await runProbe(p, 1000, systemClock);
    const r2 = await runProbe(p, 1000, systemClock);
    assert.equal(r1.ok && r2.ok, true);
    assert.equal(r2.facts?.sequence, ((r1.facts!.sequence as number) % 0xffffff) + 1);
    assert.equal(r2.facts?.strayDatagrams, 6);
    await p.close();
  });

  it("turns Version Not Supported into rejected and keeps the fact", async () => {
    const net = fakeNet((d, ctx) => ctx.reply(encodeVersionNotSupportedResponse(decodeHeartbeatRequest(d).sequence)));
    const p = pfcp.create(spec(pfcpOptions.parse({})), env(net));
    const r = await runProbe(p, 1000, systemClock);
    assert.equal(r.ok, false);
    assert.equal(r.failure?.kind, "rejected");
    assert.equal(r.failure?.reason, "version-not-supported");
    assert.equal(r.facts?.versionNotSupported, true);
    assert.equal(r.facts?.peerVersion, 1);
    await p.close();
  });

  it("turns a garbled answer into malformed at once", async () => {
    const net = fakeNet((_d, ctx) => ctx.reply(fromHex("20 02 000c 00")));
    const p = pfcp.create(spec(pfcpOptions.parse({})), env(net));
    const r = await runProbe(p, 1000, systemClock);
    assert.equal(r.failure?.kind, "malformed");
    assert.ok(r.latencyMs < 500);
    await p.close();
  });

  it("turns ECONNREFUSED on the connected socket into refused at once", async () => {
    const net = fakeNet((_d, ctx) => ctx.error(Object.assign(new Error("recvmsg ECONNREFUSED"), { code: "ECONNREFUSED" })));
    const p = pfcp.create(spec(pfcpOptions.parse({})), env(net));
    const r = await runProbe(p, 1000, systemClock);
    assert.equal(r.failure?.kind, "refused");
    assert.ok(r.latencyMs < 500);
    await p.close();
  });
});

describe("gtpu probe on a scripted peer", () => {
  it("keeps Recovery as a fact and never reports a restart (29.281 §8.2)", async () => {
    let rec = 3;
    const net = fakeNet((d, ctx) => ctx.reply(encodeEchoResponse({ sequence: decodeEchoRequest(d).sequence, recovery: rec++ })));
    const p = gtpu.create(spec(gtpuOptions.parse({}), 1000, "127.0.0.1"), env(net));
    const r1 = await runProbe(p, 1000, systemClock);
    const r2 = await runProbe(p, 1000, systemClock);
    assert.equal(r1.facts?.recovery, 3);
    assert.equal(r2.facts?.recovery, 4);
    assert.equal(r2.events, undefined);
    assert.equal(r2.facts?.peerRestarts, undefined);
    assert.equal(toHex(net.sent[0]).slice(0, 16), "3201000400000000");
    await p.close();
  });

  it("reports loss and jitter for a burst", async () => {
    let n = 0;
    const net = fakeNet((d, ctx) => {
      if (n++ % 4 !== 3) ctx.reply(encodeEchoResponse({ sequence: decodeEchoRequest(d).sequence, recovery: 0 }));
    });
    const p = gtpu.create(spec(gtpuOptions.parse({ burst: 8, burstInterval: "1ms", t1: "50ms" }), 1000, "127.0.0.1:2152"), env(net));
    const r = await runProbe(p, 1000, systemClock);
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.facts?.sent, 8);
    assert.equal(r.facts?.received, 6);
    assert.equal(r.facts?.lossPercent, 25);
    assert.equal(typeof r.facts?.rttJitterMs, "number");
    assert.equal(net.sent.length, 8, "no retransmissions inside a burst");
    assert.equal(new Set(net.sent.map((b) => toHex(b))).size, 8, "each burst request has its own sequence");
    await p.close();
  });

  it("ends a burst as refused when the first request is refused mid-burst, with no unhandled rejection", async () => {
    let unhandled = 0;
    const onUnhandled = () => unhandled++;
    process.on("unhandledRejection", onUnhandled);
    try {
      const net = fakeNet((_d, ctx) => setTimeout(() => ctx.error(Object.assign(new Error("recvmsg ECONNREFUSED"), { code: "ECONNREFUSED" })), 1));
      const p = gtpu.create(spec(gtpuOptions.parse({ burst: 5, burstInterval: "20ms", t1: "100ms" }), 1000, "127.0.0.1:2152"), env(net));
      const r = await runProbe(p, 1000, systemClock);
      await new Promise((res) => setTimeout(res, 50));
      assert.equal(r.failure?.kind, "refused");
      assert.ok(net.sent.length < 5, `the burst went on after the refusal: ${net.sent.length} sent`);
      assert.equal(unhandled, 0);
      await p.close();
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});

describe("gtpc probe on a scripted peer", () => {
  it("v2: sequence top bit 0, restart counter modulo 256, Node Features fact", async () => {
    let counter = 255;
    const net = fakeNet((d, ctx) => ctx.reply(encodeV2EchoResponse({ sequence: decodeV2EchoRequest(d).sequence, recovery: counter, nodeFeatures: 1 })));
    const p = gtpc.create(spec(gtpcOptions.parse({}), 1000, "127.0.0.1"), env(net));
    const r1 = await runProbe(p, 1000, systemClock);
    assert.equal(r1.facts?.restartCounter, 255);
    assert.equal(r1.facts?.nodeFeatureNames, "PRN");
    assert.ok((r1.facts!.sequence as number) <= 0x7fffff);
    counter = 0;
    const r2 = await runProbe(p, 1000, systemClock);
    assert.equal(r2.events?.[0].type, "peer-restart");
    assert.equal(r2.events?.[0].detail.direction, "forward");
    assert.equal(r2.facts?.peerRestarts, 1);
    assert.equal(net.sent[0][0], 0x40);
    assert.equal(net.sent[0][4] & 0x80, 0);
    await p.close();
  });

  it("v2: a GTPv1 Version Not Supported with sequence 0 (osmo-ggsn's bytes) is rejected, not ignored", async () => {
    const net = fakeNet((_d, ctx) => ctx.reply(fromHex("320300040000000000000000")));
    const p = gtpc.create(spec(gtpcOptions.parse({}), 1000, "127.0.0.1"), env(net));
    const r = await runProbe(p, 1000, systemClock);
    assert.equal(r.failure?.kind, "rejected");
    assert.equal(r.facts?.peerVersion, 1);
    await p.close();
  });

  it("v1: speaks GTPv1-C echo", async () => {
    const net = fakeNet((d, ctx) => ctx.reply(encodeEchoResponse({ sequence: decodeEchoRequest(d).sequence, recovery: 9 })));
    const p = gtpc.create(spec(gtpcOptions.parse({ version: 1 }), 1000, "127.0.0.1"), env(net));
    const r = await runProbe(p, 1000, systemClock);
    assert.equal(r.facts?.restartCounter, 9);
    assert.equal(toHex(net.sent[0]).slice(0, 4), "3201");
    await p.close();
  });

  it("rejects unknown options (strict schema)", () => {
    assert.equal(gtpcOptions.safeParse({ versoin: 1 }).success, false);
    assert.equal(gtpcOptions.safeParse({ version: 3 }).success, false);
  });
});
