/**
 * nghttpd (Debian nghttp2-server) as an independent HTTP/2 peer: h2c prior knowledge and h2 over
 * TLS, for the http and sbi probes' GET path, and a peer restart mid-session.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { http } from "../../probes/http/mod.ts";
import { sbi } from "../../probes/sbi/mod.ts";
import { runProbe } from "../../probes/run_probe.ts";
import { systemClock } from "../../runtime/clock.ts";
import { nodeNet } from "../../runtime/node_net.ts";
import type { ProbeInstance } from "../../probes/types.ts";
import { type Peer, startPeer, tempDir, waitFor } from "./_peers.ts";

const H2C = 22601, H2 = 22602;
const CRT = fileURLToPath(new URL("../../probes/_http/testdata/localhost.crt", import.meta.url));
const KEY = fileURLToPath(new URL("../../probes/_http/testdata/localhost.key", import.meta.url));
const env = { net: nodeNet, now: () => Date.now(), log: () => {} };
const mk = <O>(kind: { create: (s: never, e: typeof env) => ProbeInstance; options: { parse: (x: unknown) => O } }, target: string, options: Record<string, unknown>) =>
  kind.create({ name: "t", target, intervalMs: 1000, timeoutMs: 2000, options: kind.options.parse(options) } as never, env);

describe("http and sbi probes against nghttpd", () => {
  const dir = tempDir("edgeprobe-nghttpd-");
  let clear: Peer, secure: Peer;
  const startClear = () => startPeer("nghttpd h2c", "nghttpd", ["--no-tls", "-a", "127.0.0.1", "-d", dir.path, String(H2C)]);
  before(async () => {
    writeFileSync(`${dir.path}/healthz.json`, JSON.stringify({ status: "UP" }));
    clear = startClear();
    secure = startPeer("nghttpd h2", "nghttpd", ["-a", "127.0.0.1", "-d", dir.path, String(H2), KEY, CRT]);
    const p = mk(http, `http://127.0.0.1:${H2C}/healthz.json`, { protocol: "h2c" });
    await waitFor("nghttpd to listen", 5000, async () => (await runProbe(p, 500, systemClock)).ok || undefined);
    await p.close();
    // The TLS instance starts on its own (key and certificate read first): wait for it too, or the
    // first TLS test can meet a port not yet listening (seen once in a CI run: ECONNREFUSED).
    const s = mk(http, `https://127.0.0.1:${H2}/healthz.json`, { protocol: "h2", tls: { ca: CRT } });
    await waitFor("nghttpd over TLS to listen", 5000, async () => (await runProbe(s, 500, systemClock)).ok || undefined);
    await s.close();
  });
  after(async () => {
    await clear?.stop();
    await secure?.stop();
    dir.remove();
  });

  it("http probe: h2c prior knowledge GET with a body match", async () => {
    const p = mk(http, `http://127.0.0.1:${H2C}/healthz.json`, { protocol: "h2c", bodyMatch: '"status":"UP"' });
    try {
      const r = await runProbe(p, 2000, systemClock);
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.equal(r.facts?.protocol, "h2c");
    } finally {
      await p.close();
    }
  });

  it("http probe: h2 over TLS with the CA bundle (ALPN h2)", async () => {
    const p = mk(http, `https://127.0.0.1:${H2}/healthz.json`, { protocol: "h2", tls: { ca: CRT } });
    try {
      const r = await runProbe(p, 2000, systemClock);
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.equal(r.facts?.protocol, "h2");
    } finally {
      await p.close();
    }
  });

  it("sbi probe: GET over h2c and over TLS; a missing resource is rejected", async () => {
    for (const [target, extra] of [[`http://127.0.0.1:${H2C}`, {}], [`https://127.0.0.1:${H2}`, { tls: { ca: CRT } }]] as const) {
      const ok = mk(sbi, target, { path: "/healthz.json", ...extra });
      const missing = mk(sbi, target, { path: "/nnrf-nfm/v1/nf-instances", ...extra });
      try {
        const r = await runProbe(ok, 2000, systemClock);
        assert.equal(r.ok, true, JSON.stringify(r));
        const m = await runProbe(missing, 2000, systemClock);
        assert.equal(m.failure?.kind, "rejected");
        assert.equal(m.failure?.reason, "HTTP 404");
      } finally {
        await ok.close();
        await missing.close();
      }
    }
  });

  it("sbi probe: fails while nghttpd is down and reconnects when it is back", async () => {
    const p = mk(sbi, `http://127.0.0.1:${H2C}`, { path: "/healthz.json" });
    try {
      assert.equal((await runProbe(p, 2000, systemClock)).ok, true);
      await clear.stop();
      const down = await runProbe(p, 2000, systemClock);
      assert.equal(down.ok, false);
      assert.ok(down.failure?.kind === "refused" || down.failure?.kind === "unreachable", JSON.stringify(down));
      clear = startClear();
      const back = await waitFor("the sbi probe to recover", 5000, async () => {
        const r = await runProbe(p, 2000, systemClock);
        return r.ok ? r : undefined;
      });
      assert.ok(Number(back.facts?.sessions) >= 2);
    } finally {
      await p.close();
    }
  });
});
