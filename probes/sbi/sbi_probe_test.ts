import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http2 from "node:http2";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { sbi, sbiReflector } from "./mod.ts";
import { parseSenderTimestamp } from "./sender_timestamp.ts";
import { nodeNet } from "../../runtime/node_net.ts";
import { runProbe } from "../run_probe.ts";
import { systemClock } from "../../runtime/clock.ts";
import type { ProbeInstance, ReflectorHandle } from "../types.ts";

// Area port range 22000-22999; this file uses 2213x.
const NF = "4947a69a-f61b-4bc1-b9da-47c9c5d14b64";
const env = { net: nodeNet, now: () => Date.now(), log: () => {} };
const renv = { net: nodeNet, now: () => Date.now(), log: () => {} };

function make(target: string, options: Record<string, unknown>, timeoutMs = 2000): ProbeInstance {
  return sbi.create({ name: "t", target, intervalMs: 1000, timeoutMs, options: sbi.options.parse(options) }, env);
}

describe("sbi probe against the sbi reflector (NRF heartbeat)", () => {
  const refl: Record<string, ReflectorHandle> = {};
  const ports = { "204": 22131, "200": 22132, "404": 22133, "503": 22134, goaway: 22135 };
  before(async () => {
    for (const mode of ["204", "200", "404", "503"] as const) {
      refl[mode] = await sbiReflector.start({ listen: `127.0.0.1:${ports[mode]}`, extra: { mode } }, renv);
    }
    refl.goaway = await sbiReflector.start({ listen: `127.0.0.1:${ports.goaway}`, extra: { goawayAfter: "1", lci: "30" } }, renv);
  });
  after(async () => {
    for (const h of Object.values(refl)) await h.close();
  });

  it("accepts 204 No Content", async () => {
    const p = make(`http://127.0.0.1:${ports["204"]}`, { mode: "nrf-heartbeat", nfInstanceId: NF });
    try {
      const r = await runProbe(p, 2000, systemClock);
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.equal(r.facts?.status, 204);
      assert.equal(r.facts?.protocol, "h2c");
      assert.equal(r.facts?.heartBeatTimer, undefined);
    } finally {
      await p.close();
    }
  });

  it("adopts the heartBeatTimer of a 200 NFProfile and keeps reporting it", async () => {
    const p = make(`http://127.0.0.1:${ports["200"]}`, { mode: "nrf-heartbeat", nfInstanceId: NF });
    try {
      const a = await runProbe(p, 2000, systemClock);
      assert.equal(a.ok, true, JSON.stringify(a));
      assert.equal(a.facts?.heartBeatTimer, 10);
      assert.equal(a.facts?.adoptedIntervalMs, 10_000);
      assert.equal(a.facts?.nfStatus, "REGISTERED");
      assert.deepEqual(a.events, [{ type: "peer-event", detail: { event: "heartBeatTimer", from: 0, to: 10 } }]);
      const b = await runProbe(p, 2000, systemClock);
      assert.equal(b.facts?.adoptedIntervalMs, 10_000);
      assert.equal(b.events, undefined);
      assert.equal(b.facts?.sessions, 1);
    } finally {
      await p.close();
    }
  });

  it("reports 404 as rejected, not registered, with the ProblemDetails cause", async () => {
    const p = make(`http://127.0.0.1:${ports["404"]}`, { mode: "nrf-heartbeat", nfInstanceId: NF });
    try {
      const r = await runProbe(p, 2000, systemClock);
      assert.equal(r.failure?.kind, "rejected");
      assert.match(r.failure!.message, /not registered/);
      assert.equal(r.failure?.reason, "RESOURCE_URI_STRUCTURE_NOT_FOUND");
    } finally {
      await p.close();
    }
  });

  it("keeps NF_CONGESTION as the reason and Lci/Oci as facts on 503", async () => {
    const p = make(`http://127.0.0.1:${ports["503"]}`, { mode: "nrf-heartbeat", nfInstanceId: NF });
    try {
      const r = await runProbe(p, 2000, systemClock);
      assert.equal(r.failure?.kind, "rejected");
      assert.equal(r.failure?.reason, "NF_CONGESTION");
      assert.equal(r.facts?.lciLoadMetric, 95);
      assert.equal(r.facts?.ociReductionMetric, 50);
      assert.match(String(r.facts?.oci), /Period-of-Validity: 60s/);
      assert.equal(r.facts?.cause, "NF_CONGESTION");
    } finally {
      await p.close();
    }
  });

  it("reconnects after every GOAWAY without failing a run", async () => {
    const p = make(`http://127.0.0.1:${ports.goaway}`, { mode: "nrf-heartbeat", nfInstanceId: NF });
    try {
      for (let i = 0; i < 3; i++) {
        const r = await runProbe(p, 2000, systemClock);
        assert.equal(r.ok, true, JSON.stringify(r));
        assert.equal(r.facts?.lciLoadMetric, 30);
        await new Promise((res) => setTimeout(res, 20));
      }
      const last = await runProbe(p, 2000, systemClock);
      assert.equal(last.facts?.sessions, 4);
    } finally {
      await p.close();
    }
  });

  it("reports a GET to an unknown resource as rejected with its cause", async () => {
    const p = make(`http://127.0.0.1:${ports["204"]}`, { path: "/nudm-sdm/v2/imsi-001010000000001/sm-data" });
    try {
      const r = await runProbe(p, 2000, systemClock);
      assert.equal(r.failure?.kind, "rejected");
      assert.equal(r.failure?.reason, "RESOURCE_URI_STRUCTURE_NOT_FOUND");
    } finally {
      await p.close();
    }
  });

  it("reconnects after the reflector's simulated restart (GOAWAY to all)", async () => {
    const p = make(`http://127.0.0.1:${ports["204"]}`, { mode: "nrf-heartbeat", nfInstanceId: NF });
    try {
      assert.equal((await runProbe(p, 2000, systemClock)).ok, true);
      refl["204"].restart();
      await new Promise((res) => setTimeout(res, 30));
      const r = await runProbe(p, 2000, systemClock);
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.equal(r.facts?.sessions, 2);
    } finally {
      await p.close();
    }
  });
});

describe("sbi probe request headers and bodies", () => {
  const PORT = 22139;
  let server: http2.Http2Server;
  const seen: Array<{ headers: http2.IncomingHttpHeaders; body: string }> = [];
  let reply: (stream: http2.ServerHttp2Stream) => void = (s) => {
    s.respond({ ":status": 200, "content-type": "application/json" });
    s.end("{}");
  };
  before(async () => {
    server = http2.createServer();
    server.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
      let body = "";
      stream.on("data", (d) => body += d);
      stream.on("end", () => {
        seen.push({ headers, body });
        reply(stream);
      });
    });
    await new Promise<void>((r) => server.listen(PORT, "127.0.0.1", r));
  });
  after(async () => await new Promise<void>((r) => server.close(() => r())));

  it("sends the 3GPP custom headers and the JSON body", async () => {
    const p = make(`http://127.0.0.1:${PORT}/prefix`, { method: "PUT", path: "/nf/1", body: { nfStatus: "REGISTERED" }, maxRspTime: "1500ms" }, 800);
    try {
      const t = Date.now();
      const r = await runProbe(p, 800, systemClock);
      assert.equal(r.ok, true, JSON.stringify(r));
      const h = seen.at(-1)!.headers;
      assert.equal(h[":method"], "PUT");
      assert.equal(h[":path"], "/prefix/nf/1");
      assert.equal(h["3gpp-sbi-max-rsp-time"], "1500");
      assert.equal(h["3gpp-sbi-message-priority"], "24");
      assert.equal(h["content-type"], "application/json");
      const ts = parseSenderTimestamp(String(h["3gpp-sbi-sender-timestamp"]));
      assert.ok(ts !== undefined && Math.abs(ts - t) < 2000, String(h["3gpp-sbi-sender-timestamp"]));
      assert.deepEqual(JSON.parse(seen.at(-1)!.body), { nfStatus: "REGISTERED" });
    } finally {
      await p.close();
    }
  });

  it("requests a target URL as given when no path is set", async () => {
    for (const [target, path] of [
      [`http://127.0.0.1:${PORT}/nf-profile.json`, "/nf-profile.json"],
      [`http://127.0.0.1:${PORT}/nnrf-nfm/v1/nf-instances?limit=1`, "/nnrf-nfm/v1/nf-instances?limit=1"],
      [`127.0.0.1:${PORT}`, "/"],
    ]) {
      const p = make(target, {});
      try {
        const r = await runProbe(p, 2000, systemClock);
        assert.equal(r.ok, true, JSON.stringify(r));
        assert.equal(seen.at(-1)!.headers[":path"], path, target);
      } finally {
        await p.close();
      }
    }
    assert.throws(() => make(`http://127.0.0.1:${PORT}/root?x=1`, { path: "/nf" }), /an apiRoot has no query/);
  });

  it("sends the heartbeat as a JSON Patch with max-rsp-time = the timeout", async () => {
    const p = make(`http://127.0.0.1:${PORT}`, { mode: "nrf-heartbeat", nfInstanceId: NF, priority: 3 }, 700);
    reply = (s) => {
      s.respond({ ":status": 204 });
      s.end();
    };
    try {
      const r = await runProbe(p, 700, systemClock);
      assert.equal(r.ok, true, JSON.stringify(r));
      const { headers: h, body } = seen.at(-1)!;
      assert.equal(h[":method"], "PATCH");
      assert.equal(h[":path"], `/nnrf-nfm/v1/nf-instances/${NF}`);
      assert.equal(h["content-type"], "application/json-patch+json");
      assert.equal(h["3gpp-sbi-max-rsp-time"], "700");
      assert.equal(h["3gpp-sbi-message-priority"], "3");
      assert.deepEqual(JSON.parse(body), [{ op: "replace", path: "/nfStatus", value: "REGISTERED" }]);
    } finally {
      await p.close();
    }
  });

  it("reports a broken ProblemDetails body as malformed", async () => {
    reply = (s) => {
      s.respond({ ":status": 500, "content-type": "application/problem+json" });
      s.end("<html>oops</html>");
    };
    const p = make(`http://127.0.0.1:${PORT}`, {});
    try {
      const r = await runProbe(p, 2000, systemClock);
      assert.equal(r.failure?.kind, "malformed");
    } finally {
      await p.close();
    }
  });

  it("reports a 200 heartbeat with a non-JSON profile as malformed", async () => {
    reply = (s) => {
      s.respond({ ":status": 200, "content-type": "application/json" });
      s.end("{heartBeatTimer:");
    };
    const p = make(`http://127.0.0.1:${PORT}`, { mode: "nrf-heartbeat", nfInstanceId: NF });
    try {
      const r = await runProbe(p, 2000, systemClock);
      assert.equal(r.failure?.kind, "malformed");
    } finally {
      await p.close();
    }
  });

  it("times out when the peer never answers", async () => {
    reply = () => {};
    const p = make(`http://127.0.0.1:${PORT}`, {}, 200);
    try {
      const r = await runProbe(p, 200, systemClock);
      assert.equal(r.failure?.kind, "timeout");
    } finally {
      await p.close();
    }
  });

  it("validates its options", () => {
    assert.equal(sbi.options.safeParse({ mode: "nrf-heartbeat" }).success, false);
    assert.equal(sbi.options.safeParse({ mode: "nrf-heartbeat", nfInstanceId: "x" }).success, false);
    assert.equal(sbi.options.safeParse({ priority: 32 }).success, false);
    assert.equal(sbi.options.safeParse({ path: "no-slash" }).success, false);
    assert.throws(() => make("ftp://127.0.0.1:1", {}), /scheme must be http/);
  });
});

describe("sbi probe over h2 with mutual TLS", () => {
  const PORT = 22138;
  const CRT = fileURLToPath(new URL("../_http/testdata/localhost.crt", import.meta.url));
  const KEY = fileURLToPath(new URL("../_http/testdata/localhost.key", import.meta.url));
  let server: http2.Http2SecureServer;
  const sessions = new Set<http2.ServerHttp2Session>();
  before(async () => {
    // The test certificate doubles as the client's: the server trusts it as a CA and asks for it.
    server = http2.createSecureServer({ key: readFileSync(KEY), cert: readFileSync(CRT), ca: readFileSync(CRT), requestCert: true, rejectUnauthorized: true });
    server.on("session", (s) => sessions.add(s));
    server.on("stream", (stream: http2.ServerHttp2Stream) => {
      stream.respond({ ":status": 204 });
      stream.end();
    });
    await new Promise<void>((r) => server.listen(PORT, "127.0.0.1", r));
  });
  after(async () => {
    for (const s of sessions) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it("presents the client certificate and verifies the server with the CA bundle", async () => {
    const p = make(`https://127.0.0.1:${PORT}`, { mode: "nrf-heartbeat", nfInstanceId: NF, tls: { ca: CRT, cert: CRT, key: KEY } });
    try {
      const r = await runProbe(p, 2000, systemClock);
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.equal(r.facts?.protocol, "h2");
    } finally {
      await p.close();
    }
  });
  it("fails when the server wants a client certificate and gets none", async () => {
    const p = make(`https://127.0.0.1:${PORT}`, { tls: { ca: CRT } });
    try {
      const r = await runProbe(p, 2000, systemClock);
      // TLS 1.3 refuses the missing certificate after the handshake: the first stream is reset.
      assert.equal(r.failure?.kind, "rejected", JSON.stringify(r));
    } finally {
      await p.close();
    }
  });
});
