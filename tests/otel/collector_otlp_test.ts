/**
 * The collector with `otel:` pointing at a local OTLP/HTTP receiver: an agent streams telemetry
 * to it, and the collector's own ingest counters arrive over OTLP with its resource.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Child, startChild } from "../_util/process.ts";
import { type OtlpReceiver, startOtlpReceiver } from "../../common/otlp_receiver_test_kit.ts";

const root = new URL("../../", import.meta.url).pathname;
const bun = join(root, "node_modules/.bin/bun");
const P = { receiver: 25201, collector: 25202, agent: 25203, target: 25204 };
const TOKEN = "collector-otel-test-token";

describe("OTLP export from the collector", () => {
  const dir = mkdtempSync(join(tmpdir(), "ep-cotel-"));
  let receiver: OtlpReceiver;
  let target: net.Server;
  let collector: Child;
  let agent: Child;

  before(async () => {
    receiver = await startOtlpReceiver(P.receiver);
    target = net.createServer((s) => s.destroy()).listen(P.target, "127.0.0.1");
    writeFileSync(join(dir, "collector.yaml"), `
listen: 127.0.0.1:${P.collector}
auth: { sharedToken: ${TOKEN} }
store: { path: ${dir}/c.db }
otel: { endpoint: ${receiver.url}, interval: 300ms, timeout: 300ms }
`);
    writeFileSync(join(dir, "agent.yaml"), `
agent: { id: cotel-agent }
server: { listen: "127.0.0.1:${P.agent}" }
probes: [{ name: app, kind: tcp, target: "127.0.0.1:${P.target}", interval: 200ms, timeout: 100ms }]
telemetry: { collector: "http://127.0.0.1:${P.collector}", token: ${TOKEN}, spool: { dir: ${dir}/spool }, batch: { interval: 100ms } }
`);
    collector = startChild(bun, ["cli/main.ts", "collector", "--config", join(dir, "collector.yaml")], { cwd: root });
    await collector.waitFor(/collector listening on/, 20_000);
    agent = startChild(bun, ["cli/main.ts", "agent", "--config", join(dir, "agent.yaml")], { cwd: root });
    await agent.waitFor(/listening on/, 20_000);
  });
  after(async () => {
    await agent?.stop("SIGKILL");
    await collector?.stop("SIGKILL");
    target?.close();
    await receiver?.close();
  });

  it("exports its ingest counters with the collector's resource", async () => {
    const records = () => receiver.points().filter((p) => p.metric === "edgeprobe.collector.ingest.records");
    await receiver.waitFor(() => records().some((p) => (p.value ?? 0) >= 5), 15_000, "ingest records counter ≥ 5");
    const last = records().at(-1)!;
    assert.equal(last.resource["service.name"], "edgeprobe-collector");
    assert.equal(last.type, "sum");
    assert.equal(last.isMonotonic, true);
    const ok = receiver.points().filter((p) => p.metric === "edgeprobe.collector.ingest.batches" && p.attributes.outcome === "ok");
    assert.ok(ok.length > 0 && (ok.at(-1)!.value ?? 0) > 0, "batches{outcome=ok}");
  });

  it("flushes on SIGTERM and exits 0", async () => {
    await agent.stop("SIGTERM");
    assert.equal(await collector.stop("SIGTERM"), 0);
  });
});
