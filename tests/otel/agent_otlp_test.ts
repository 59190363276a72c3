/**
 * The agent from source, on Bun and on Deno, with `otel:` pointing at a local OTLP/HTTP receiver:
 * one TCP probe to a live listener, one to a closed port, one PFCP probe to `edgeprobe reflect pfcp`
 * that restarts on SIGHUP. The receiver decodes what arrives and the test checks spans (names,
 * attributes, status, the peer-restart event), the resource, and the metrics (histogram points,
 * counter values), then that after SIGTERM every run is accounted for in both signals.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Child, startChild } from "../_util/process.ts";
import { type OtlpReceiver, type ReceivedPoint, startOtlpReceiver } from "../../common/otlp_receiver_test_kit.ts";

const root = new URL("../../", import.meta.url).pathname;
const bin = (n: string) => join(root, "node_modules/.bin", n);

const runtimes: Array<{ name: string; cmd: string; args: string[] }> = [
  { name: "bun", cmd: bin("bun"), args: ["cli/main.ts"] },
  { name: "deno", cmd: bin("deno"), args: ["run", "-A", "cli/main.ts"] },
];

/** The last cumulative value of each series, keyed by probe/result. */
function lastBySeries(points: ReceivedPoint[], metric: string): Map<string, ReceivedPoint> {
  const out = new Map<string, ReceivedPoint>();
  for (const p of points) {
    if (p.metric !== metric) continue;
    out.set(`${p.attributes["edgeprobe.probe.name"]}/${p.attributes["edgeprobe.result"]}`, p);
  }
  return out;
}

runtimes.forEach((rt, i) => {
  describe(`OTLP export from the agent on ${rt.name}`, () => {
    const base = 25100 + i * 10; // this area's range: 25000-25499
    const ports = { receiver: base, target: base + 1, closed: base + 2, agent: base + 3, pfcp: base + 4 };
    let receiver: OtlpReceiver;
    let target: net.Server;
    let agent: Child;
    let reflector: Child;
    let exitCode: number | string | undefined;

    before(async () => {
      receiver = await startOtlpReceiver(ports.receiver);
      target = net.createServer((s) => s.destroy());
      await new Promise<void>((r) => target.listen(ports.target, "127.0.0.1", r));
      reflector = startChild(bin("bun"), ["cli/main.ts", "reflect", "pfcp", "--listen", `127.0.0.1:${ports.pfcp}`, "--recovery", "3900000000"], { cwd: root });
      await reflector.waitFor(/listening on/, 20_000);
      const dir = mkdtempSync(join(tmpdir(), "ep-otel-"));
      const cfg = join(dir, "agent.yaml");
      writeFileSync(cfg, `
agent: { id: otel-agent-${rt.name}, labels: { region: lab, site: par1 } }
server: { listen: "127.0.0.1:${ports.agent}" }
health: { drainTimeout: 3s }
otel:
  endpoint: ${receiver.url}
  interval: 300ms
  timeout: 300ms
  headers: { x-noc-token: "\${NOC_TOKEN}" }
probes:
  - { name: n4-up, kind: tcp, target: "127.0.0.1:${ports.target}", interval: 100ms, timeout: 80ms, jitter: 0%, interface: N4 }
  - { name: n6-down, kind: tcp, target: "127.0.0.1:${ports.closed}", interval: 100ms, timeout: 80ms, jitter: 0%, interface: N6, critical: false }
  - { name: n4-pfcp, kind: pfcp, target: "127.0.0.1:${ports.pfcp}", interval: 100ms, timeout: 80ms, jitter: 0%, interface: N4 }
`);
      agent = startChild(rt.cmd, [...rt.args, "agent", "--config", cfg], { cwd: root, env: { NOC_TOKEN: "s3cret" } });
      await agent.waitFor(/listening on 127\.0\.0\.1:\d+/, 20_000);
    });
    after(async () => {
      await agent?.stop("SIGKILL");
      await reflector?.stop("SIGTERM");
      await new Promise((r) => target.close(r));
      await receiver.close();
    });

    it("sends a span per run with probe, peer, transport, interface and result attributes", async () => {
      const spansOf = (name: string) => receiver.spans().filter((s) => s.attributes["edgeprobe.probe.name"] === name);
      await receiver.waitFor(() => spansOf("n4-up").length >= 3 && spansOf("n6-down").length >= 3, 10_000, "spans of both probes");
      const req = receiver.requests.find((r) => r.path === "/v1/traces")!;
      assert.equal(req.contentType, "application/json");
      assert.equal(req.headers["x-noc-token"], "s3cret", "headers from config, ${VAR} expanded");

      const up = spansOf("n4-up")[0];
      assert.equal(up.name, "probe tcp");
      assert.equal(up.scope, "edgeprobe.agent");
      assert.equal(up.kind, 3 /* SPAN_KIND_CLIENT in OTLP */);
      // The tcp probe's one fact, the local port it connected from, as edgeprobe.fact.<name>.
      const { "edgeprobe.fact.localPort": localPort, ...attrs } = up.attributes;
      assert.equal(typeof localPort, "number");
      assert.deepEqual(attrs, {
        "edgeprobe.probe.name": "n4-up",
        "edgeprobe.probe.kind": "tcp",
        "edgeprobe.result": "ok",
        "server.address": "127.0.0.1",
        "server.port": ports.target,
        "network.transport": "tcp",
        "edgeprobe.interface": "N4",
      });
      assert.equal(up.status.code, 0, "success leaves the status unset");
      assert.ok(up.endTimeUnixNano > up.startTimeUnixNano);
      assert.ok(up.endTimeUnixNano - up.startTimeUnixNano < 80_000_000n, "a run lasts less than its timeout");

      const down = spansOf("n6-down")[0];
      assert.equal(down.name, "probe tcp");
      assert.equal(down.status.code, 2 /* STATUS_CODE_ERROR */);
      assert.match(down.status.message ?? "", /ECONNREFUSED|refused/i);
      assert.equal(down.attributes["edgeprobe.result"], "refused");
      assert.equal(down.attributes["error.type"], "refused");
      assert.equal(down.attributes["server.port"], ports.closed);
      assert.equal(down.attributes["edgeprobe.interface"], "N6");
      // One trace per run: runs are roots, not children of one long span.
      assert.equal(new Set(spansOf("n4-up").map((s) => s.traceId)).size, spansOf("n4-up").length);
    });

    it("marks a PFCP peer restart with a span event on the run that saw it", async () => {
      const pfcp = () => receiver.spans().filter((s) => s.attributes["edgeprobe.probe.name"] === "n4-pfcp");
      await receiver.waitFor(() => pfcp().length >= 2, 10_000, "PFCP spans");
      const first = pfcp()[0];
      assert.equal(first.name, "probe pfcp");
      assert.equal(first.attributes["network.transport"], "udp");
      assert.equal(first.attributes["server.port"], ports.pfcp);
      assert.equal(first.attributes["edgeprobe.fact.recoveryTimeStamp"], 3900000000);
      assert.ok(pfcp().every((s) => s.events.length === 0), "no restart yet");
      reflector.proc.kill("SIGHUP"); // the reflector's recovery value moves on (TS 29.244 §19A)
      await receiver.waitFor(() => pfcp().some((s) => s.events.length > 0), 10_000, "a peer-restart event");
      const withEvent = pfcp().filter((s) => s.events.length > 0);
      assert.equal(withEvent.length, 1, "one event, on the first run after the restart");
      assert.equal(withEvent[0].events[0].name, "peer-restart");
      assert.notEqual(withEvent[0].attributes["edgeprobe.fact.recoveryTimeStamp"], 3900000000);
      const detail = withEvent[0].events[0].attributes;
      assert.equal(detail["edgeprobe.event.field"], "recoveryTimeStamp");
      assert.equal(detail["edgeprobe.event.previous"], 3900000000);
      assert.equal(detail["edgeprobe.event.current"], withEvent[0].attributes["edgeprobe.fact.recoveryTimeStamp"]);
    });

    it("describes the agent in the resource", () => {
      const r = receiver.spans()[0].resource;
      assert.equal(r["service.name"], "edgeprobe-agent");
      assert.equal(r["service.instance.id"], `otel-agent-${rt.name}`);
      assert.equal(r["edgeprobe.label.region"], "lab");
      assert.equal(r["edgeprobe.label.site"], "par1");
      assert.equal(r["process.runtime.name"], rt.name);
      assert.equal(typeof r["host.name"], "string");
      assert.equal(typeof r["service.version"], "string");
    });

    it("sends the duration histogram in seconds and the run counter by result", async () => {
      await receiver.waitFor(
        () => lastBySeries(receiver.points(), "edgeprobe.probe.runs").size >= 2,
        10_000,
        "run counters for both probes",
      );
      const points = receiver.points();
      const hist = lastBySeries(points, "edgeprobe.probe.duration");
      const upH = hist.get("n4-up/ok")!;
      assert.equal(upH.type, "histogram");
      assert.equal(upH.unit, "s");
      assert.ok(upH.count! >= 1);
      assert.ok(upH.sum! > 0 && upH.sum! < upH.count! * 0.08, `sum ${upH.sum}s over ${upH.count} runs is in seconds`);
      assert.ok(upH.explicitBounds!.includes(0.001), "bucket bounds are in seconds");
      assert.equal(upH.bucketCounts!.length, upH.explicitBounds!.length + 1);
      assert.equal(upH.bucketCounts!.reduce((a, b) => a + b, 0), upH.count);
      assert.ok(hist.get("n6-down/refused"));

      const runs = lastBySeries(points, "edgeprobe.probe.runs");
      const upC = runs.get("n4-up/ok")!;
      assert.equal(upC.type, "sum");
      assert.equal(upC.isMonotonic, true);
      assert.ok(upC.value! >= 1);
      assert.deepEqual(Object.keys(upC.attributes).sort(), ["edgeprobe.probe.kind", "edgeprobe.probe.name", "edgeprobe.result"]);
      assert.ok(runs.get("n6-down/refused")!.value! >= 1);
      assert.equal([...runs.keys()].filter((k) => k.startsWith("n4-up/")).length, 1, "the live target never failed");
    });

    it("flushes on SIGTERM: every run is one span, one count and one histogram sample", async () => {
      exitCode = await agent.stop("SIGTERM", 8000);
      assert.equal(exitCode, 0, agent.output().slice(-2000));
      const runs = lastBySeries(receiver.points(), "edgeprobe.probe.runs");
      const hist = lastBySeries(receiver.points(), "edgeprobe.probe.duration");
      for (const [series, probe] of [["n4-up/ok", "n4-up"], ["n6-down/refused", "n6-down"]] as const) {
        const spans = receiver.spans().filter((s) => s.attributes["edgeprobe.probe.name"] === probe).length;
        assert.equal(runs.get(series)!.value, spans, `${series}: counter equals spans received`);
        assert.equal(hist.get(series)!.count, spans, `${series}: histogram count equals spans received`);
      }
      assert.doesNotMatch(agent.output(), /Cannot export OpenTelemetry signals/);
    });
  });
});
