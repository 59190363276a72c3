import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { readFileSync } from "node:fs";
import { diameter } from "./probe.ts";
import { diameterReflector, serveDiameterConnection } from "./reflector.ts";
import { buildCea, buildDwr, type PeerIdentity } from "./base.ts";
import { DiameterFramer } from "./framer.ts";
import { decodeMessage, type DiameterMessage, encodeMessage } from "./message.ts";
import { readU32 } from "./avp.ts";
import { runProbe } from "../run_probe.ts";
import { nodeNet } from "../../runtime/node_net.ts";
import { listenTcp } from "../../runtime/node_tcp_server.ts";
import { systemClock } from "../../runtime/clock.ts";
import type { ProbeEnv, ProbeInstance, ReflectorHandle } from "../types.ts";

const env: ProbeEnv = { net: nodeNet, now: () => Date.now(), log: () => {} };

function create(target: string, options: Record<string, unknown> = {}, e: ProbeEnv = env): ProbeInstance {
  return diameter.create({ name: "t", target, intervalMs: 5000, timeoutMs: 2000, options: diameter.options.parse(options) }, e);
}
const run = (p: ProbeInstance, timeoutMs = 2000) => runProbe(p, timeoutMs, systemClock);

const peerId: PeerIdentity = { originHost: "fake.localdomain", originRealm: "localdomain", hostIpAddresses: ["127.0.0.1"], vendorId: 0, productName: "fake", originStateId: 7 };

/** A raw TCP peer: `onMessage` sees each decoded message with a writer back to the probe. */
async function fakePeer(port: number, onMessage: (m: DiameterMessage, write: (m: DiameterMessage) => void, sock: net.Socket) => void) {
  const seen: DiameterMessage[] = [];
  const server = net.createServer((sock) => {
    const f = new DiameterFramer();
    sock.on("data", (d: Buffer) => {
      for (const frame of f.push(new Uint8Array(d))) {
        const m = decodeMessage(frame);
        seen.push(m);
        onMessage(m, (a) => sock.write(encodeMessage(a)), sock);
      }
    });
    sock.on("error", () => {});
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
  return { seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe("diameter probe against the diameter reflector", () => {
  let ok: ReflectorHandle, unknown: ReflectorHandle;
  before(async () => {
    ok = await diameterReflector.start({ listen: "127.0.0.1:21131", recovery: 100, extra: {} }, env);
    unknown = await diameterReflector.start({ listen: "127.0.0.1:21132", extra: { resultCode: "3010" } }, env);
  });
  after(async () => {
    await ok.close();
    await unknown.close();
  });

  it("session mode: CEA 2001, DWA 2001, DPA", async () => {
    const r = await run(create("127.0.0.1:21131"));
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.facts?.resultCode, 2001);
    assert.equal(r.facts?.originStateId, 100);
    assert.equal(r.facts?.peerOriginHost, "reflector.localdomain");
    assert.equal(r.facts?.dpa, true);
  });
  it("rejects a CEA 3010 with the code's name as reason", async () => {
    const r = await run(create("127.0.0.1:21132"));
    assert.equal(r.ok, false);
    assert.equal(r.failure?.kind, "rejected");
    assert.equal(r.failure?.reason, "UNKNOWN_PEER");
    assert.equal(r.facts?.resultCode, 3010);
  });
  it("reports an Origin-State-Id change as peer-restart, in both modes", async () => {
    for (const mode of ["session", "persistent"]) {
      const p = create("127.0.0.1:21131", { mode });
      const first = await run(p);
      assert.equal(first.events, undefined);
      ok.restart();
      await new Promise((r) => setTimeout(r, 50));
      const second = await run(p);
      assert.equal(second.ok, true, JSON.stringify(second));
      assert.equal(second.events?.[0]?.type, "peer-restart", `${mode}: ${JSON.stringify(second)}`);
      assert.equal(second.events?.[0]?.detail.originStateId, Number(first.facts?.originStateId) + 1);
      const third = await run(p);
      assert.equal(third.events, undefined);
      await p.close();
    }
  });
});

describe("diameter probe, persistent mode", () => {
  it("keeps one connection, answers the peer's DWR, and says DPR on close()", async () => {
    let conns = 0;
    let dwaFromProbe: DiameterMessage | undefined;
    const peer = await fakePeer(21140, (m, write) => {
      if (m.commandCode === 257 && m.flags & 0x80) {
        conns++;
        write(buildCea(m, peerId, 2001));
        // §5.5.1: the peer may watchdog us too; the probe must answer.
        write(buildDwr(peerId, { hopByHop: 0x1234, endToEnd: 0x5678 }));
      } else if (m.commandCode === 280 && !(m.flags & 0x80)) dwaFromProbe = m;
      else if (m.commandCode === 280) write({ ...buildCea(m, peerId, 2001), avps: buildCea(m, peerId, 2001).avps.slice(0, 3) });
      else if (m.commandCode === 282) write({ flags: 0, commandCode: 282, applicationId: 0, hopByHop: m.hopByHop, endToEnd: m.endToEnd, avps: buildCea(m, peerId, 2001).avps.slice(0, 3) });
    });
    try {
      const p = create("127.0.0.1:21140", { mode: "persistent" });
      for (let i = 0; i < 3; i++) {
        const r = await run(p);
        assert.equal(r.ok, true, JSON.stringify(r));
        assert.equal(r.facts?.connects, 1);
      }
      assert.equal(conns, 1);
      assert.equal(dwaFromProbe?.hopByHop, 0x1234);
      assert.equal(dwaFromProbe?.endToEnd, 0x5678);
      assert.equal(readU32(dwaFromProbe!.avps[0]), 2001);
      const t0 = performance.now();
      await p.close(AbortSignal.timeout(2000));
      assert.ok(performance.now() - t0 < 1000);
      const dpr = peer.seen.find((m) => m.commandCode === 282 && m.flags & 0x80);
      assert.ok(dpr, "DPR sent on close()");
      assert.equal(readU32(dpr!.avps.find((a) => a.code === 273)!), 0);
    } finally {
      await peer.close();
    }
  });

  it("reconnects with backoff after the peer goes away", async () => {
    let now = 1_000_000;
    const clockEnv: ProbeEnv = { ...env, now: () => now };
    const h = await diameterReflector.start({ listen: "127.0.0.1:21141", recovery: 5, extra: {} }, env);
    const p = create("127.0.0.1:21141", { mode: "persistent", backoffMin: "1s", backoffMax: "4s" }, clockEnv);
    assert.equal((await run(p)).ok, true);
    await h.close();
    await new Promise((r) => setTimeout(r, 50));
    const down = await run(p);
    assert.equal(down.failure?.kind, "refused", JSON.stringify(down));
    const backingOff = await run(p);
    assert.equal(backingOff.failure?.reason, "reconnect-backoff");
    assert.equal(backingOff.failure?.kind, "refused");
    assert.match(backingOff.failure!.message, /backing off 1000ms/);
    const h2 = await diameterReflector.start({ listen: "127.0.0.1:21141", recovery: 6, extra: {} }, env);
    try {
      now += 1000;
      const back = await run(p);
      assert.equal(back.ok, true, JSON.stringify(back));
      assert.equal(back.facts?.connects, 2);
      assert.equal(back.events?.[0]?.type, "peer-restart");
      await p.close();
    } finally {
      await h2.close();
    }
  });
});

describe("diameter probe, persistent watchdog failure", () => {
  it("closes the connection after two unanswered DWRs and reconnects (RFC 3539 §3.4.1)", async () => {
    let conns = 0;
    const peer = await fakePeer(21142, (m, write) => {
      if (m.commandCode === 257) {
        conns++;
        write(buildCea(m, peerId, 2001));
      }
      // DWRs are swallowed: the peer looks alive at TCP level but its watchdog is dead.
    });
    try {
      const p = create("127.0.0.1:21142", { mode: "persistent" });
      assert.equal((await run(p, 200)).failure?.kind, "timeout");
      assert.equal((await run(p, 200)).failure?.kind, "timeout");
      assert.equal(conns, 1);
      // The second miss closed the connection; the next run backs off (1 s), then reconnects.
      const backoff = await run(p, 200);
      assert.equal(backoff.failure?.reason, "reconnect-backoff");
      assert.equal(backoff.failure?.kind, "timeout");
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal((await run(p, 200)).failure?.kind, "timeout");
      assert.equal(conns, 2);
      await p.close(AbortSignal.timeout(300));
    } finally {
      await peer.close();
    }
  });
});

describe("diameter probe failures", () => {
  it("reports a connection closed before the CEA as refused with its own reason", async () => {
    const peer = await fakePeer(21150, (_m, _w, sock) => sock.end());
    try {
      const r = await run(create("127.0.0.1:21150"));
      assert.equal(r.failure?.kind, "refused");
      assert.equal(r.failure?.reason, "closed-before-cea");
      assert.match(r.failure!.message, /closed the connection before sending a CEA/);
    } finally {
      await peer.close();
    }
  });
  it("reports a refused connection as refused", async () => {
    const r = await run(create("127.0.0.1:21151"));
    assert.equal(r.failure?.kind, "refused");
  });
  it("reports a silent peer as a timeout", async () => {
    const peer = await fakePeer(21152, () => {});
    try {
      const r = await run(create("127.0.0.1:21152"), 300);
      assert.equal(r.failure?.kind, "timeout");
    } finally {
      await peer.close();
    }
  });
  it("reports garbage on the stream as malformed", async () => {
    const server = net.createServer((s) => s.once("data", () => s.write("HTTP/1.1 400 Bad Request\r\n\r\n")));
    await new Promise<void>((r) => server.listen(21153, "127.0.0.1", () => r()));
    try {
      const r = await run(create("127.0.0.1:21153"));
      assert.equal(r.failure?.kind, "malformed", JSON.stringify(r));
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
  it("ignores an answer with the wrong Hop-by-Hop and times out", async () => {
    const peer = await fakePeer(21154, (m, write) => write({ ...buildCea(m, peerId, 2001), hopByHop: (m.hopByHop + 1) >>> 0 }));
    try {
      const r = await run(create("127.0.0.1:21154"), 300);
      assert.equal(r.failure?.kind, "timeout");
    } finally {
      await peer.close();
    }
  });
  it("classifies a DWA 5012 as rejected UNABLE_TO_COMPLY", async () => {
    const peer = await fakePeer(21155, (m, write) => {
      if (m.commandCode === 257) write(buildCea(m, peerId, 2001));
      else if (m.commandCode === 280) write({ ...buildCea(m, peerId, 5012), avps: buildCea(m, peerId, 5012).avps.slice(0, 3) });
    });
    try {
      const r = await run(create("127.0.0.1:21155"));
      assert.equal(r.failure?.kind, "rejected");
      assert.equal(r.failure?.reason, "UNABLE_TO_COMPLY");
    } finally {
      await peer.close();
    }
  });
});

describe("diameter probe over TLS", () => {
  let server: { close(): Promise<void> };
  before(async () => {
    const cert = readFileSync(new URL("../sip/testdata/localhost.crt", import.meta.url), "utf8");
    const key = readFileSync(new URL("../sip/testdata/localhost.key", import.meta.url), "utf8");
    server = await listenTcp({ host: "127.0.0.1", port: 21160, tls: { cert, key } }, (conn) =>
      serveDiameterConnection(conn, { ceaResultCode: 2001, identity: () => peerId }, () => {}));
  });
  after(() => server.close());
  it("runs CER/DWR/DPR over TLS", async () => {
    const r = await run(create("127.0.0.1:21160", { tls: true, verify: false }));
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.facts?.originStateId, 7);
  });
});
