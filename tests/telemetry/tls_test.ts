/** TLS and mTLS between the uplink and the collector (Bun: fetch `tls`, Bun.serve `requestCert`). Port 23104. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { makeCerts } from "./_certs.ts";
import { ROOT } from "./_procs.ts";
import { startCollector } from "../../collector/collector.ts";
import { parseCollectorConfig } from "../../collector/config.ts";
import { createUplink } from "../../agent/uplink.ts";
import { telemetrySchema } from "../../telemetry/telemetry_config.ts";
import { systemClock } from "../../runtime/clock.ts";
import { encodeBatch } from "../../telemetry/codec.ts";

const TOKEN = "tls-test-token-0123456789abcdef";
const execFileAsync = promisify(execFile);

describe("collector over TLS with client certificates (Bun and Deno clients)", () => {
  it("accepts an uplink that presents a certificate from clientCa and refuses a client without one", async () => {
    const dir = fs.mkdtempSync(join(tmpdir(), "ep-tls-"));
    const certs = makeCerts(dir);
    const ac = new AbortController();
    const collector = await startCollector(parseCollectorConfig({
      listen: "127.0.0.1:23104", auth: { sharedToken: TOKEN }, store: { path: join(dir, "c.db") },
      tls: { cert: certs.serverCert, key: certs.serverKey, clientCa: certs.ca },
    }, {}), { signal: ac.signal, log: () => {} });
    const uac = new AbortController();
    try {
      assert.equal(collector.url, "https://127.0.0.1:23104");
      const config = telemetrySchema.parse({
        collector: collector.url, token: TOKEN, spool: { dir: join(dir, "spool"), maxBytes: "1MiB" }, batch: { interval: "20ms" },
        tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey },
      });
      const uplink = await createUplink(config, { agentId: "upf-17", labels: {}, clock: systemClock, log: () => {}, signal: uac.signal });
      for (let i = 0; i < 20; i++) uplink.emit({ type: "probe-result", probe: "n4", kind: "pfcp", result: { ok: true, startedAt: Date.now(), latencyMs: 1 } });
      const end = Date.now() + 10_000;
      while (uplink.stats().lastAck?.seq !== 20) {
        assert.ok(Date.now() < end, `not delivered over mTLS: ${uplink.stats().lastError}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      await uplink.close(AbortSignal.timeout(1000));
      const body = encodeBatch({ agentId: "x", bootId: "b", records: [] });
      const read = (p: string) => fs.readFileSync(p, "utf8");
      const withCert = await fetch(`${collector.url}/api/v1/ingest`, {
        method: "POST", body, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/cbor" },
        tls: { ca: read(certs.ca), cert: read(certs.clientCert), key: read(certs.clientKey) },
      } as RequestInit);
      assert.equal(withCert.status, 200, "the same request with the client certificate is accepted");
      // The same through Deno's fetch (Deno.createHttpClient), with and without the client certificate.
      // Asynchronous: the collector runs in this process and must keep answering meanwhile.
      const deno = async (tls: object) => JSON.parse((await execFileAsync(join(ROOT, "node_modules/.bin/deno"), ["run", "-A", "tests/telemetry/tls_client_driver.ts",
        JSON.stringify({ collector: collector.url, token: TOKEN, spool: fs.mkdtempSync(join(dir, "dspool-")), tls })], { cwd: ROOT, encoding: "utf8", timeout: 30_000 })).stdout);
      assert.equal((await deno({ ca: certs.ca, cert: certs.clientCert, key: certs.clientKey })).acked, 10, "Deno client with a certificate");
      const refused = await deno({ ca: certs.ca });
      assert.equal(refused.acked, 0, "Deno client without a certificate is refused");
      assert.equal(refused.state, "backoff");
      // Trusting the CA but presenting no client certificate: the handshake is refused.
      await assert.rejects(fetch(`${collector.url}/api/v1/ingest`, {
        method: "POST", body, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/cbor" },
        tls: { ca: fs.readFileSync(certs.ca, "utf8") },
      } as RequestInit));
    } finally {
      uac.abort();
      ac.abort();
      await collector.finished;
    }
  });
});
