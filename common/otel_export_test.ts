import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { readFileSync } from "node:fs";
import { metrics, trace } from "@opentelemetry/api";
import { otelConfigSchema } from "./otel_config.ts";
import { diagText, otelResourceAttributes, signalUrl, startOtel } from "./otel_export.ts";
import { type OtlpReceiver, startOtlpReceiver } from "./otlp_receiver_test_kit.ts";

// Ports from this area's range (25000-25499); Bun and Deno runs are sequential.
const RECEIVER_PORT = 25010;
const SILENT_PORT = 25011;
const TLS_PORT = 25012;
const MTLS_PORT = 25013;
const certPath = new URL("../server/testdata/localhost.crt", import.meta.url).pathname;
const keyPath = new URL("../server/testdata/localhost.key", import.meta.url).pathname;

/**
 * One probe run as the agent reports it through the OpenTelemetry API (span `probe KIND`, counter
 * `edgeprobe.probe.runs`; docs/opentelemetry.md). Written here with the API alone: common/ knows
 * nothing of agent/, whose sink is tested with a real agent in tests/otel.
 */
function emitRun(probe: string, port?: number): void {
  const attributes = { "edgeprobe.probe.name": probe, "edgeprobe.probe.kind": "tcp", ...(port ? { "server.port": port } : {}) };
  trace.getTracer("edgeprobe").startSpan("probe tcp", { attributes }).end();
  metrics.getMeter("edgeprobe").createCounter("edgeprobe.probe.runs").add(1, { "edgeprobe.probe.name": probe });
}

describe("signalUrl() and otelResourceAttributes()", () => {
  it("appends the signal path once", () => {
    assert.equal(signalUrl("http://h:4318", "v1/traces"), "http://h:4318/v1/traces");
    assert.equal(signalUrl("http://h:4318/otlp/", "v1/metrics"), "http://h:4318/otlp/v1/metrics");
  });
  it("names the service, the instance, the host and its labels", () => {
    const attrs = otelResourceAttributes(otelConfigSchema.parse({ attributes: { "deployment.environment.name": "lab" } }), {
      serviceName: "edgeprobe-agent",
      instanceId: "edge-7",
      version: "0.1.0",
      hostname: "host-a",
      labels: { region: "eu-west", site: "par1" },
    });
    assert.deepEqual(attrs, {
      "service.name": "edgeprobe-agent",
      "service.instance.id": "edge-7",
      "service.version": "0.1.0",
      "host.name": "host-a",
      "edgeprobe.label.region": "eu-west",
      "edgeprobe.label.site": "par1",
      "deployment.environment.name": "lab",
    });
  });
});

describe("diagText()", () => {
  it("keeps the message of the JSON-encoded error the SDK's error handler passes", () => {
    const fromSdk = JSON.stringify({ message: "connect ECONNREFUSED 127.0.0.1:4318", code: "ECONNREFUSED", stack: "Error: …\n at …" });
    assert.equal(diagText(fromSdk, []), "connect ECONNREFUSED 127.0.0.1:4318");
    assert.equal(diagText("export failed", [new Error("HTTP 503")]), "export failed: HTTP 503");
    assert.equal(diagText("n", [{ a: 1 }]), 'n: {"a":1}');
  });
});

describe("startOtel()", () => {
  let receiver: OtlpReceiver;
  let silent: Server;
  const held: Socket[] = [];
  before(async () => {
    receiver = await startOtlpReceiver(RECEIVER_PORT);
    // Accepts connections and never answers: an endpoint that hangs.
    silent = createServer((s) => held.push(s));
    await new Promise<void>((r) => silent.listen(SILENT_PORT, "127.0.0.1", r));
  });
  after(async () => {
    await receiver.close();
    for (const s of held) s.destroy();
    await new Promise((r) => silent.close(r));
  });

  it("exports spans and metrics as OTLP/HTTP JSON with the configured headers, then unregisters", async () => {
    const config = otelConfigSchema.parse({ endpoint: receiver.url, interval: "1m", timeout: "5s", headers: { "x-noc-token": "t0k" } });
    const otel = startOtel(config, { serviceName: "edgeprobe-collector", instanceId: "col-1", hostname: "h" });
    // The meter is taken after startOtel registers the provider (the metrics API has no proxy).
    emitRun("p1", 9);
    await otel.flush(AbortSignal.timeout(5000));
    await otel.shutdown(AbortSignal.timeout(5000));

    const traces = receiver.requests.filter((r) => r.path === "/v1/traces");
    assert.ok(traces.length >= 1);
    assert.equal(traces[0].contentType, "application/json");
    assert.equal(traces[0].headers["x-noc-token"], "t0k");
    const [span] = receiver.spans();
    assert.equal(span.name, "probe tcp");
    assert.equal(span.resource["service.name"], "edgeprobe-collector");
    assert.equal(span.resource["service.instance.id"], "col-1");
    assert.equal(span.attributes["server.port"], 9);
    const runs = receiver.points().filter((p) => p.metric === "edgeprobe.probe.runs");
    assert.ok(runs.length >= 1);
    assert.equal(runs[0].value, 1);
    // After shutdown the API is back to no-op: a new span does not record.
    assert.equal(trace.getTracer("t").startSpan("after").isRecording(), false);
  });

  it("compresses export bodies with gzip when asked", async () => {
    const before = receiver.requests.length;
    const otel = startOtel(otelConfigSchema.parse({ endpoint: receiver.url, interval: "1m", compression: "gzip" }), { serviceName: "edgeprobe-agent", instanceId: "gz" });
    emitRun("gz");
    await otel.shutdown(AbortSignal.timeout(5000));
    const sent = receiver.requests.slice(before);
    assert.ok(sent.length >= 2);
    assert.ok(sent.every((r) => r.headers["content-encoding"] === "gzip"));
    assert.ok(receiver.spans().some((s) => s.attributes["edgeprobe.probe.name"] === "gz"), "the receiver decoded the gzip body");
  });

  it("shuts down when its signal aborts", async () => {
    const before = receiver.requests.length;
    const ac = new AbortController();
    startOtel(otelConfigSchema.parse({ endpoint: receiver.url, interval: "1m" }), { serviceName: "edgeprobe-agent", instanceId: "a", signal: ac.signal });
    emitRun("p2");
    ac.abort();
    await receiver.waitFor(() => receiver.spans().some((s) => s.attributes["edgeprobe.probe.name"] === "p2"), 5000, "the last span");
    assert.ok(receiver.requests.length > before);
    await receiver.waitFor(() => !trace.getTracer("t").startSpan("x").isRecording(), 5000, "the globals unregistered");
  });

  it("shuts down within its bound when the endpoint hangs", async () => {
    const config = otelConfigSchema.parse({ endpoint: `http://127.0.0.1:${SILENT_PORT}`, interval: "30s", timeout: "20s" });
    const otel = startOtel(config, { serviceName: "edgeprobe-agent", instanceId: "a" });
    emitRun("p1");
    const t0 = performance.now();
    await otel.shutdown(AbortSignal.timeout(300));
    const ms = performance.now() - t0;
    assert.ok(ms < 1500, `shutdown took ${ms.toFixed(0)}ms against a 300ms bound`);
  });
});

describe("startOtel() over https", () => {
  const pem = { cert: readFileSync(certPath, "utf8"), key: readFileSync(keyPath, "utf8") };

  async function exportOne(endpoint: string, tls: Record<string, string> | undefined, log: string[]) {
    const otel = startOtel(otelConfigSchema.parse({ endpoint, interval: "1m", timeout: "2s", tls }), {
      serviceName: "edgeprobe-agent",
      instanceId: "tls",
      log: (_level, msg, fields) => log.push(`${msg} ${JSON.stringify(fields)}`),
    });
    emitRun("tls");
    await otel.shutdown(AbortSignal.timeout(5000));
  }

  it("trusts a private CA from otel.tls.ca, and not without it", async () => {
    const r = await startOtlpReceiver(TLS_PORT, { tls: pem });
    try {
      const log: string[] = [];
      await exportOne(r.url, undefined, log);
      assert.equal(r.spans().length, 0);
      // Through diag (Deno) or the final flush's rejection (Bun), the refusal is logged either way.
      assert.ok(log.some((l) => /^Cannot export (the last )?OpenTelemetry signals .*certificate/i.test(l)), log.join("\n"));
      await exportOne(r.url, { ca: certPath }, []);
      assert.equal(r.spans().length, 1);
    } finally {
      await r.close();
    }
  });

  it("presents a client certificate from otel.tls.cert and key", async () => {
    const r = await startOtlpReceiver(MTLS_PORT, { tls: { ...pem, ca: pem.cert, requestCert: true } });
    try {
      await exportOne(r.url, { ca: certPath }, []);
      assert.equal(r.spans().length, 0, "refused without a client certificate");
      await exportOne(r.url, { ca: certPath, cert: certPath, key: keyPath }, []);
      assert.equal(r.spans().length, 1);
    } finally {
      await r.close();
    }
  });

  it("names an unreadable file", () => {
    assert.throws(
      () => startOtel(otelConfigSchema.parse({ endpoint: "https://127.0.0.1:1", tls: { ca: "/nonexistent/ca.pem" } }), { serviceName: "s", instanceId: "i" }),
      /^Error: Cannot start OpenTelemetry export: otel.tls.ca \/nonexistent\/ca.pem is not readable/,
    );
  });
});
