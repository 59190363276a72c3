/**
 * tshark (Debian 4.0.x) as the judge of our HTTP/2 on the wire: the sbi heartbeat and the
 * reflector's 503 answer must decode without malformed or warning expert items, with the 3GPP
 * headers where TS 29.500 puts them.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { sbi, sbiReflector } from "../../probes/sbi/mod.ts";
import { runProbe } from "../../probes/run_probe.ts";
import { systemClock } from "../../runtime/clock.ts";
import { nodeNet } from "../../runtime/node_net.ts";
import type { ReflectorHandle } from "../../probes/types.ts";
import { type Peer, startPeer, tempDir, waitFor } from "./_peers.ts";
import { existsSync, statSync } from "node:fs";

const PORT = 22670;
const NF = "4947a69a-f61b-4bc1-b9da-47c9c5d14b64";
const env = { net: nodeNet, now: () => Date.now(), log: () => {} };

describe("sbi heartbeat on the wire, decoded by tshark", () => {
  const dir = tempDir("edgeprobe-tshark-");
  const pcap = `${dir.path}/sbi.pcapng`;
  let capture: Peer;
  let refl: ReflectorHandle;
  before(async () => {
    capture = startPeer("tshark", "tshark", ["-i", "lo", "-f", `tcp port ${PORT}`, "-w", pcap]);
    // tshark says "Capturing on 'Loopback: lo'" once the capture runs.
    await waitFor("tshark to capture", 10_000, async () => capture.output().includes("Capturing on") || undefined);
    // "Capturing on" comes as the capture opens, a moment before its filter is in place.
    await new Promise((r) => setTimeout(r, 500));
    refl = await sbiReflector.start({ listen: `127.0.0.1:${PORT}`, extra: { mode: "503" } }, env);
    const p = sbi.create({ name: "t", target: `http://127.0.0.1:${PORT}`, intervalMs: 1000, timeoutMs: 2000, options: sbi.options.parse({ mode: "nrf-heartbeat", nfInstanceId: NF }) }, env);
    const r = await runProbe(p, 2000, systemClock);
    assert.equal(r.failure?.reason, "NF_CONGESTION");
    await p.close();
    await refl.close();
    // dumpcap writes packets out in batches: a stop right after the last packet can lose it.
    await new Promise((r) => setTimeout(r, 1000));
    await capture.stop("SIGINT");
    assert.ok(existsSync(pcap) && statSync(pcap).size > 0, capture.output());
  });
  after(() => dir.remove());

  const tshark = (args: string[]) => spawnSync("tshark", ["-r", pcap, "-d", `tcp.port==${PORT},http2`, ...args], { encoding: "utf8" });

  it("has no malformed frames and no expert warnings", () => {
    const r = tshark(["-Y", "_ws.malformed || _ws.expert.severity >= warning"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), "");
  });

  it("carries the heartbeat PATCH with the 3GPP headers and the 503 with Lci/Oci", () => {
    const r = tshark(["-Y", "http2.type == 1", "-T", "fields", "-E", "separator=|", "-e", "http2.header.name", "-e", "http2.header.value"]);
    assert.equal(r.status, 0, r.stderr);
    const [req, res] = r.stdout.trim().split("\n").map((line) => {
      const [names, values] = line.split("|");
      // Values may contain commas (Sender-Timestamp), so pair names with the value list by walking both.
      return { names: names.split(","), raw: values };
    });
    assert.deepEqual(req.names.slice(0, 4), [":method", ":path", ":authority", ":scheme"]);
    for (const h of ["3gpp-sbi-sender-timestamp", "3gpp-sbi-max-rsp-time", "3gpp-sbi-message-priority", "content-type"]) assert.ok(req.names.includes(h), h);
    assert.match(req.raw, new RegExp(`^PATCH,/nnrf-nfm/v1/nf-instances/${NF},127\\.0\\.0\\.1:${PORT},http,`));
    assert.match(req.raw, /,application\/json-patch\+json$/);
    assert.match(req.raw, /[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2}\.\d{3} GMT/);
    assert.ok(res.names.includes("3gpp-sbi-lci") && res.names.includes("3gpp-sbi-oci"), res.names.join());
    assert.match(res.raw, /^503,application\/problem\+json,/);
  });

  it("carries the JSON Patch body of TS 29.510 §5.2.2.3.2", () => {
    const r = tshark(["-Y", "http2.type == 0 && http2.data.data", "-T", "fields", "-e", "http2.data.data"]);
    const bodies = r.stdout.trim().split("\n").map((h) => Buffer.from(h.replace(/:/g, ""), "hex").toString());
    assert.deepEqual(JSON.parse(bodies[0]), [{ op: "replace", path: "/nfStatus", value: "REGISTERED" }]);
    assert.equal(JSON.parse(bodies[1]).cause, "NF_CONGESTION");
  });
});
