/**
 * freeDiameter 1.2.1 (Debian) as the Diameter peer: CEA 2001, DWA 2001, 3010 for an Origin-Host
 * it does not allow, its own DWR answered in persistent mode, a restart seen through
 * Origin-State-Id, and DPR on close(); tshark judges the traffic.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { diameter } from "../../probes/diameter/mod.ts";
import { runProbe } from "../../probes/run_probe.ts";
import { nodeNet } from "../../runtime/node_net.ts";
import { systemClock } from "../../runtime/clock.ts";
import type { ProbeInstance } from "../../probes/types.ts";
import { type Daemon, sleep, start, startCapture, tcpOpen, tempDir, waitFor } from "./_harness.ts";

const PORT = 21868;
const env = { net: nodeNet, now: () => Date.now(), log: () => {} };

const create = (options: Record<string, unknown> = {}): ProbeInstance =>
  diameter.create({ name: "fd", target: `127.0.0.1:${PORT}`, intervalMs: 5000, timeoutMs: 3000, options: diameter.options.parse(options) }, env);
const run = (p: ProbeInstance) => runProbe(p, 3000, systemClock);

describe("diameter probe against freeDiameter", () => {
  const dir = tempDir("edgeprobe-freediameter-");
  let fd: Daemon;
  let capture: Awaited<ReturnType<typeof startCapture>>;

  async function startFd(): Promise<void> {
    fd = start("freeDiameterd", ["-c", join(dir.path, "fd.conf")]);
    await waitFor("freeDiameterd", () => /daemon initialized/.test(fd.output()) && tcpOpen("127.0.0.1", PORT), 15_000);
  }

  before(async () => {
    const ssl = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", join(dir.path, "key.pem"), "-out", join(dir.path, "cert.pem"), "-days", "1", "-subj", "/CN=fd.localdomain"]);
    assert.equal(ssl.status, 0, String(ssl.stderr));
    writeFileSync(join(dir.path, "acl_wl.conf"), "ALLOW_IPSEC *.localdomain\n");
    const conf = readFileSync(new URL("./fixtures/freediameter.conf.tmpl", import.meta.url), "utf8").replaceAll("@DIR@", dir.path).replaceAll("@PORT@", String(PORT));
    writeFileSync(join(dir.path, "fd.conf"), conf);
    capture = await startCapture(dir.path, `tcp port ${PORT}`, [`tcp.port==${PORT},diameter`]);
    await startFd();
  });
  after(async () => {
    await fd?.stop();
    await capture?.stop();
    dir.remove();
  });

  it("session mode: CEA 2001, DWA 2001, DPA", async () => {
    const r = await run(create());
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.facts?.resultCode, 2001);
    assert.equal(r.facts?.peerOriginHost, "fd.localdomain");
    assert.equal(r.facts?.productName, "freeDiameter");
    assert.equal(r.facts?.dpa, true);
    assert.equal(typeof r.facts?.originStateId, "number");
  });

  it("an Origin-Host outside the whitelist gets 3010 UNKNOWN_PEER", async () => {
    const r = await run(create({ originHost: "probe.example.org", originRealm: "example.org" }));
    assert.equal(r.ok, false);
    assert.equal(r.failure?.kind, "rejected");
    assert.equal(r.failure?.reason, "UNKNOWN_PEER");
    assert.equal(r.facts?.resultCode, 3010);
  });

  it("persistent mode answers freeDiameter's own DWR, detects its restart, and DPRs on close()", async () => {
    const persistent = create({ mode: "persistent", originHost: "persist.localdomain", backoffMin: "100ms" });
    const session = create({ originHost: "session.localdomain" });
    const first = await run(persistent);
    assert.equal(first.ok, true, JSON.stringify(first));
    assert.equal((await run(session)).ok, true);
    // Tw = 6 s: freeDiameter watchdogs the idle connection after 6 ± 2 s (RFC 3539 §3.4.1 jitter).
    await sleep(9000);
    const later = await run(persistent);
    assert.equal(later.ok, true, JSON.stringify(later));
    assert.equal(later.facts?.connects, 1, "same connection");
    assert.ok(Number(later.facts?.peerWatchdogs) >= 1, `freeDiameter's DWR answered: ${JSON.stringify(later.facts)}`);

    // Restart: Origin-State-Id is freeDiameter's start time in seconds, so wait past a second.
    await fd.stop();
    await sleep(1100);
    await startFd();
    const afterRestart = await waitForOk(persistent);
    assert.equal(afterRestart.events?.[0]?.type, "peer-restart", JSON.stringify(afterRestart));
    assert.equal(afterRestart.events?.[0]?.detail.previousOriginStateId, first.facts?.originStateId);
    assert.equal(afterRestart.facts?.connects, 2);
    const sessionAfter = await run(session);
    assert.equal(sessionAfter.events?.[0]?.type, "peer-restart");

    await persistent.close(AbortSignal.timeout(2000));
    await sleep(200);
  });

  it("tshark finds nothing malformed and sees DWR answered by our DWA and our DPR on close()", async () => {
    await capture.stop();
    assert.equal(capture.problems(), "");
    const answers = capture.fields("diameter.cmd.code == 280 && diameter.flags.request == 0 && diameter.Origin-Host == \"persist.localdomain\"", ["diameter.Result-Code"]);
    assert.ok(answers.length >= 1 && answers.every((l) => l === "2001"), `our DWAs: ${answers}`);
    const dprs = capture.fields("diameter.cmd.code == 282 && diameter.flags.request == 1 && diameter.Origin-Host == \"persist.localdomain\"", ["diameter.Disconnect-Cause"]);
    assert.ok(dprs.length >= 1, "DPR from the persistent probe");
    const dpas = capture.fields("diameter.cmd.code == 282 && diameter.flags.request == 0 && diameter.Origin-Host == \"fd.localdomain\"", ["diameter.Result-Code"]);
    assert.ok(dpas.length >= 3, `DPAs: ${dpas}`);
  });
});

/** Runs until ok (the reconnect may first meet a backoff window), at most ~3 s. */
async function waitForOk(p: ProbeInstance) {
  let last;
  for (let i = 0; i < 15; i++) {
    last = await run(p);
    if (last.ok) return last;
    await sleep(200);
  }
  return last!;
}
