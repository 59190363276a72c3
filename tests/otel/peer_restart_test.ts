/**
 * startAgent() in-process with the tracing sink and startOtel(), as cli/agent.ts wires them, and a
 * probe kind whose peer restarts on its third answer: the span of that run carries a
 * `peer-restart` event, and the probe's facts, to a local OTLP/HTTP receiver.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { type AgentHandle, startAgent } from "../../agent/agent.ts";
import { parseAgentConfig } from "../../agent/config.ts";
import { createTracingSink } from "../../agent/tracing.ts";
import { silentLogger } from "../../common/log.ts";
import { type OtelHandle, startOtel } from "../../common/otel_export.ts";
import { type OtlpReceiver, startOtlpReceiver } from "../../common/otlp_receiver_test_kit.ts";
import type { ProbeKind } from "../../probes/types.ts";
import { systemClock } from "../../runtime/clock.ts";
import { nodeNet } from "../../runtime/node_net.ts";

const ports = { receiver: 25200, agent: 25201 };

/** Answers every run; its recovery value moves from 1 to 2 at the third run (a peer restart). */
const restarting: ProbeKind<Record<string, never>> = {
  kind: "tcp",
  summary: "test kind",
  defaultPort: 8805,
  options: z.strictObject({}),
  create() {
    let runs = 0;
    return {
      run() {
        runs++;
        const recovery = runs >= 3 ? 2 : 1;
        return Promise.resolve({
          ok: true,
          latencyMs: 0.25,
          facts: { recovery },
          events: runs === 3 ? [{ type: "peer-restart" as const, detail: { previous: 1, current: 2 } }] : undefined,
        });
      },
      close: () => Promise.resolve(),
    };
  },
};

describe("agent sinks in-process", () => {
  let receiver: OtlpReceiver;
  let otel: OtelHandle;
  let agent: AgentHandle;
  before(async () => {
    receiver = await startOtlpReceiver(ports.receiver);
    // The registry's tcp kind validates the config; the test's kind runs in its place.
    const config = parseAgentConfig({
      agent: { id: "inproc" },
      server: { listen: `127.0.0.1:${ports.agent}` },
      otel: { endpoint: receiver.url, interval: "200ms", timeout: "200ms" },
      probes: [{ name: "smf-n4", kind: "tcp", target: "10.0.4.1", interval: "50ms", timeout: "40ms", jitter: 0, interface: "N4" }],
    }, "test", { env: {}, hostname: "h" });
    otel = startOtel(config.otel!, { serviceName: "edgeprobe-agent", instanceId: config.agent.id, hostname: "h" });
    const kinds = { tcp: restarting as ProbeKind<unknown> };
    agent = await startAgent(config, {
      clock: systemClock,
      net: nodeNet,
      log: silentLogger,
      version: "test",
      runtime: "bun",
      target: "source",
      kinds,
      createSinks: ({ probeConfig }) => [createTracingSink({ describe: probeConfig, kinds })],
    });
  });
  after(async () => {
    await agent?.stop("test", AbortSignal.timeout(2000));
    await otel?.shutdown(AbortSignal.timeout(2000));
    await receiver.close();
  });

  it("puts a peer-restart event on the span of the run that saw it", async () => {
    await receiver.waitFor(() => receiver.spans().some((s) => s.events.length > 0), 5000, "a span with an event");
    const spans = receiver.spans();
    const withEvent = spans.filter((s) => s.events.length > 0);
    assert.equal(withEvent.length, 1, "only the run that noticed the restart");
    const [ev] = withEvent[0].events;
    assert.equal(ev.name, "peer-restart");
    assert.deepEqual(ev.attributes, { "edgeprobe.event.previous": 1, "edgeprobe.event.current": 2 });
    assert.equal(withEvent[0].attributes["edgeprobe.fact.recovery"], 2);
    // The target named no port: the kind's default port is reported.
    assert.equal(withEvent[0].attributes["server.address"], "10.0.4.1");
    assert.equal(withEvent[0].attributes["server.port"], 8805);
    assert.equal(withEvent[0].attributes["edgeprobe.interface"], "N4");
  });
});
