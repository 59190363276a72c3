/**
 * The ingest byte budget with the attack itself (docs/security.md): an agent-token holder opens
 * many uploads of bodies as large as `limits.maxBodyBytes` and sends them slowly, so that each
 * admitted one holds a buffer while it trickles in. Past `limits.maxIngestBytesInFlight` the
 * collector answers 503 with Retry-After at once, before a byte of those bodies is read; the
 * honest agent gets in again as soon as the budget frees. Loopback, a free port.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseCollectorConfig, startCollector } from "../../collector/mod.ts";
import { encodeBatch } from "../../telemetry/mod.ts";

const TOKEN = "bytes-budget-shared-token-0123456789";
const MiB = 1024 * 1024;

/** Send the head of a POST declaring `length` bytes (or chunked) and `first` body bytes; resolve with the socket and what it reads. */
function upload(port: number, length: number | "chunked", signal: AbortSignal) {
  const sock = net.connect(port, "127.0.0.1");
  let got = "";
  sock.on("data", (d) => void (got += d.toString("latin1")));
  sock.on("error", () => {});
  const onAbort = () => sock.destroy();
  signal.addEventListener("abort", onAbort, { once: true });
  const len = length === "chunked" ? "Transfer-Encoding: chunked" : `Content-Length: ${length}`;
  sock.write(`POST /api/v1/ingest HTTP/1.1\r\nHost: c\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/vnd.edgeprobe.telemetry+cbor\r\n${len}\r\n\r\n`);
  sock.write(length === "chunked" ? "10\r\n0123456789abcdef\r\n" : "0123456789abcdef");
  return { sock, answer: () => got };
}

describe("ingest byte budget", () => {
  it("refuses slow large uploads past maxIngestBytesInFlight before reading them, and lets the honest agent in once the budget frees", async () => {
    const dir = fs.mkdtempSync(join(tmpdir(), "ep-bytes-budget-"));
    const ac = new AbortController();
    const c = await startCollector(parseCollectorConfig({
      listen: "127.0.0.1:0", auth: { sharedToken: TOKEN }, store: { path: join(dir, "c.db") },
      limits: { maxBodyBytes: "1MiB", maxIngestBytesInFlight: "4MiB", maxIngestInFlight: 512, maxInFlightPerSource: 1024 },
    }, {}), { signal: ac.signal, log: () => {} });
    const port = Number(new URL(c.url).port);
    const attack = new AbortController();
    try {
      // 4 declared 1 MiB bodies fill the budget; then 12 more declared ones and 4 chunked (counted as maxBodyBytes).
      const held = Array.from({ length: 4 }, () => upload(port, MiB, attack.signal));
      await new Promise((r) => setTimeout(r, 300));
      const excess = [...Array.from({ length: 12 }, () => upload(port, MiB, attack.signal)), ...Array.from({ length: 4 }, () => upload(port, "chunked", attack.signal))];
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline && excess.some((u) => !u.answer().includes("\r\n\r\n"))) await new Promise((r) => setTimeout(r, 20));
      for (const u of excess) {
        assert.match(u.answer(), /^HTTP\/1\.1 503 /, "refused at once, with only 16 bytes of its body sent");
        assert.match(u.answer(), /retry-after: \d+/i);
        assert.match(u.answer(), /maxIngestBytesInFlight/);
      }
      assert.equal(c.counters.batches.shed, 16);
      for (const u of held) assert.equal(u.answer(), "", "the admitted uploads are still being read");
      // The honest agent's small batch is refused too while the budget is full...
      const body = encodeBatch({ agentId: "honest", bootId: "b1", records: [{ type: "agent-start", seq: 1, at: Date.now(), version: "1.0.0", labels: {} }] });
      const send = () => fetch(`${c.url}/api/v1/ingest`, { method: "POST", body: body as Uint8Array<ArrayBuffer>, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/vnd.edgeprobe.telemetry+cbor" } });
      const refused = await send();
      assert.equal(refused.status, 503);
      assert.ok(Number(refused.headers.get("retry-after")) >= 1);
      await refused.body?.cancel();
      // ...and accepted once the slow uploads are gone (their slots free when their reads fail).
      attack.abort();
      let ok: Response | undefined;
      for (let i = 0; i < 100 && ok?.status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 50));
        ok = await send();
        if (ok.status !== 200) await ok.body?.cancel();
      }
      assert.equal(ok?.status, 200);
      assert.equal((await ok!.json() as { ack: number }).ack, 1);
    } finally {
      attack.abort();
      ac.abort();
      await c.finished;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
