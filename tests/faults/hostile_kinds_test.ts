/**
 * Peers that lie, for every probe kind: garbage, half an answer, a header declaring the largest
 * length its format holds, the right header with the wrong sequence, and accept-and-never-answer.
 * Each run ends `malformed` or `timeout` within the probe's timeout (plus scheduling slack), and
 * the whole matrix leaves the heap within a bound (no 4 GiB or 16 MiB allocation follows a header).
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { probeKinds } from "../../probes/mod.ts";
import { HOSTILE_MODES, type HostileHandle, startHostilePeer } from "../../probes/hostile/mod.ts";
import { runProbe } from "../../probes/run_probe.ts";
import { nodeNet } from "../../runtime/node_net.ts";
import { systemClock } from "../../runtime/clock.ts";

const TIMEOUT = 500;
/** Timer and event-loop slack on a shared 2-core machine. */
const SLACK = 400;
const env = { net: nodeNet, now: () => Date.now(), log: () => {} };

/** Each kind's target and options against a peer on `port`. */
const setups: Record<string, (port: number) => { target: string; options: Record<string, unknown> }> = {
  pfcp: (p) => ({ target: `127.0.0.1:${p}`, options: {} }),
  gtpu: (p) => ({ target: `127.0.0.1:${p}`, options: {} }),
  gtpc: (p) => ({ target: `127.0.0.1:${p}`, options: {} }),
  sip: (p) => ({ target: `127.0.0.1:${p}`, options: { transport: "udp" } }),
  diameter: (p) => ({ target: `127.0.0.1:${p}`, options: {} }),
  http: (p) => ({ target: `http://127.0.0.1:${p}/`, options: {} }),
  etcd: (p) => ({ target: `http://127.0.0.1:${p}`, options: {} }),
  sbi: (p) => ({ target: `http://127.0.0.1:${p}`, options: {} }),
  dns: (p) => ({ target: "upf.example.test", options: { server: `127.0.0.1:${p}` } }),
  tcp: (p) => ({ target: `127.0.0.1:${p}`, options: { tls: true, verify: false } }),
};

describe("every probe kind against hostile peers", () => {
  const peers: HostileHandle[] = [];
  after(async () => {
    for (const p of peers) await p.close();
  });
  const heap0 = process.memoryUsage().heapUsed;

  for (const kind of Object.keys(probeKinds)) {
    it(`${kind}: every hostile mode is malformed or timeout within its timeout`, async () => {
      const setup = setups[kind];
      assert.ok(setup, `a hostile setup for ${kind}`);
      const seen: string[] = [];
      for (const mode of HOSTILE_MODES) {
        const peer = await startHostilePeer({ kind, mode, listen: "127.0.0.1:0" }, env);
        peers.push(peer);
        const { target, options } = setup(peer.address.port);
        const k = probeKinds[kind];
        const inst = k.create({ name: `${kind}-${mode}`, target, intervalMs: 1000, timeoutMs: TIMEOUT, options: k.options.parse(options) }, env);
        const t0 = performance.now();
        const r = await runProbe(inst, TIMEOUT, systemClock);
        const ms = performance.now() - t0;
        await inst.close(AbortSignal.timeout(1000)).catch(() => {});
        seen.push(`${mode}:${r.failure?.kind ?? "ok"}`);
        assert.equal(r.ok, false, `${kind} ${mode} must fail: ${JSON.stringify(r)}`);
        assert.ok(r.failure?.kind === "malformed" || r.failure?.kind === "timeout", `${kind} ${mode}: ${JSON.stringify(r.failure)}`);
        assert.ok(ms < TIMEOUT + SLACK, `${kind} ${mode} took ${Math.round(ms)} ms`);
        assert.ok(mode === "silent" || peer.requests > 0 || kind === "dns", `${kind} ${mode}: the peer saw the request`);
      }
      console.log(`${kind}: ${seen.join(" ")}`);
    });
  }

  it("the whole matrix stays within 64 MiB of heap (a declared 4 GiB or 16 MiB is never allocated)", () => {
    const grown = process.memoryUsage().heapUsed - heap0;
    assert.ok(grown < 64 * 1024 * 1024, `${Math.round(grown / 1e6)} MB`);
  });
});
