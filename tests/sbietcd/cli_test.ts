/** `edgeprobe reflect sbi` and `edgeprobe probe sbi|http` as processes: the one-shot CLI path. */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type Peer, startPeer, waitFor } from "./_peers.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const NF = "4947a69a-f61b-4bc1-b9da-47c9c5d14b64";
const cli = (args: string[]) => {
  const r = spawnSync(process.execPath, ["cli/main.ts", ...args], { cwd: ROOT, encoding: "utf8", timeout: 10_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe("sbi reflector and probe through the CLI", () => {
  const modes = { "204": 22631, "200": 22632, "404": 22633, "503": 22634 } as const;
  const peers: Peer[] = [];
  before(async () => {
    for (const [mode, port] of Object.entries(modes)) {
      const p = startPeer(`reflect sbi ${mode}`, process.execPath, ["cli/main.ts", "reflect", "sbi", "--listen", `127.0.0.1:${port}`, "--mode", mode, "--heart-beat-timer", "15"], ROOT);
      peers.push(p);
    }
    for (const p of peers) await waitFor(`${p.name} to listen`, 5000, async () => p.output().includes("listening on") || undefined);
  });
  after(async () => {
    for (const p of peers) await p.stop();
  });

  const heartbeat = (port: number) => cli(["probe", "sbi", `http://127.0.0.1:${port}`, "--mode", "nrf-heartbeat", "--nf-instance-id", NF, "--json"]);

  it("204: exit 0", () => {
    const r = heartbeat(modes["204"]);
    assert.equal(r.code, 0, r.err);
    assert.equal(JSON.parse(r.out).facts.status, 204);
  });
  it("200: the new heartBeatTimer is reported as adoptedIntervalMs", () => {
    const r = heartbeat(modes["200"]);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.equal(j.facts.heartBeatTimer, 15);
    assert.equal(j.facts.adoptedIntervalMs, 15000);
  });
  it("404: exit 1, rejected, not registered", () => {
    const r = heartbeat(modes["404"]);
    assert.equal(r.code, 1);
    const j = JSON.parse(r.out);
    assert.equal(j.kind, "rejected");
    assert.match(j.failure.message, /not registered/);
  });
  it("503: exit 1, reason NF_CONGESTION, Lci and Oci facts", () => {
    const r = heartbeat(modes["503"]);
    assert.equal(r.code, 1);
    const j = JSON.parse(r.out);
    assert.equal(j.failure.reason, "NF_CONGESTION");
    assert.equal(j.facts.lciLoadMetric, 95);
    assert.equal(j.facts.ociReductionMetric, 50);
  });
  it("the human line names the cause", () => {
    const r = cli(["probe", "sbi", `http://127.0.0.1:${modes["503"]}`, "--mode", "nrf-heartbeat", "--nf-instance-id", NF]);
    assert.match(r.out, /^FAIL sbi .* rejected: .*NF_CONGESTION/);
  });
  it("an unknown option is a usage error (exit 2)", () => {
    const r = cli(["probe", "sbi", `http://127.0.0.1:${modes["204"]}`, "--bogus", "1"]);
    assert.equal(r.code, 2);
    assert.match(r.err, /bogus/);
  });
  it("http probe over h2c against the reflector's 404 ProblemDetails", () => {
    const r = cli(["probe", "http", `http://127.0.0.1:${modes["204"]}/nope`, "--protocol", "h2c", "--expect-status", "404", "--json"]);
    assert.equal(r.code, 0, r.out + r.err);
  });
});
