/**
 * Kamailio 5.6 (Debian) as the SIP peer: 200 from options_reply(), 404 and 503 from sl_send_reply,
 * over UDP and TCP; tshark judges our requests.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sip } from "../../probes/sip/mod.ts";
import { runProbe } from "../../probes/run_probe.ts";
import { nodeNet } from "../../runtime/node_net.ts";
import { systemClock } from "../../runtime/clock.ts";
import { type Daemon, start, startCapture, tcpOpen, tempDir, waitFor } from "./_harness.ts";

const PORT = 21060;
const env = { net: nodeNet, now: () => Date.now(), log: () => {} };

function probe(options: Record<string, unknown>) {
  const instance = sip.create({ name: "kamailio", target: `127.0.0.1:${PORT}`, intervalMs: 5000, timeoutMs: 2000, options: sip.options.parse(options) }, env);
  return runProbe(instance, 2000, systemClock);
}

describe("sip probe against Kamailio", () => {
  const dir = tempDir("edgeprobe-kamailio-");
  let kamailio: Daemon;
  let capture: Awaited<ReturnType<typeof startCapture>>;
  before(async () => {
    const cfg = readFileSync(new URL("./fixtures/kamailio.cfg.tmpl", import.meta.url), "utf8").replaceAll("@PORT@", String(PORT));
    writeFileSync(join(dir.path, "kamailio.cfg"), cfg);
    // -DD: stay in the foreground (its children too), so the harness holds the main PID; -E: log to stderr.
    kamailio = start("kamailio", ["-DD", "-E", "-f", join(dir.path, "kamailio.cfg"), "-Y", dir.path]);
    await waitFor("kamailio tcp", () => tcpOpen("127.0.0.1", PORT));
    // Capture only once Kamailio listens: the readiness polls before that are refused with RST,
    // which tshark rightly flags at warning level.
    capture = await startCapture(dir.path, `port ${PORT}`);
  });
  after(async () => {
    await kamailio?.stop();
    await capture?.stop();
    dir.remove();
  });

  for (const transport of ["udp", "tcp"]) {
    it(`gets 200 OK from options_reply() over ${transport}`, async () => {
      const r = await probe({ transport });
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.equal(r.facts?.status, 200);
      assert.match(String(r.facts?.server), /^kamailio \(5\./);
    });
    it(`gets 404 for an unknown user over ${transport}: rejected by default, accepted with acceptCodes [2xx, 404]`, async () => {
      const r = await probe({ transport, user: "nobody" });
      assert.equal(r.failure?.kind, "rejected");
      assert.equal(r.facts?.status, 404);
      assert.equal(r.facts?.reason, "Not Found");
      const accepted = await probe({ transport, user: "nobody", acceptCodes: "2xx,404" });
      assert.equal(accepted.ok, true);
    });
    it(`gets 503 with Retry-After over ${transport}`, async () => {
      const r = await probe({ transport, user: "busy" });
      assert.equal(r.failure?.kind, "rejected");
      assert.equal(r.failure?.reason, "503");
      assert.equal(r.facts?.retryAfter, 30);
    });
  }

  it("tshark finds nothing malformed in the exchange", async () => {
    await capture.stop();
    assert.equal(capture.problems(), "");
    const statuses = capture.fields("sip.Status-Code", ["sip.Status-Code"]);
    assert.ok(statuses.includes("200") && statuses.includes("404") && statuses.includes("503"), statuses.join(","));
    const requests = capture.fields("sip.Method == \"OPTIONS\"", ["sip.Via.branch", "sip.Via.rport"]);
    assert.ok(requests.length >= 8);
    for (const line of requests) assert.match(line, /^z9hG4bK[0-9a-f]+\t/);
  });
});
