/**
 * An OTLP endpoint that is away or hangs must not touch probing or shutdown: the agent keeps
 * probing, says so once (not once per export), and SIGTERM still ends within the drain bound.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Child, eventually, sleep, startChild } from "../_util/process.ts";

const root = new URL("../../", import.meta.url).pathname;
const bin = (n: string) => join(root, "node_modules/.bin", n);

function agentConfig(id: string, agentPort: number, endpointPort: number, targetPort: number): string {
  const dir = mkdtempSync(join(tmpdir(), "ep-otel-fail-"));
  const file = join(dir, "agent.yaml");
  writeFileSync(file, `
agent: { id: ${id} }
server: { listen: "127.0.0.1:${agentPort}" }
health: { drainTimeout: 1s }
otel: { endpoint: "http://127.0.0.1:${endpointPort}", interval: 200ms, timeout: 200ms }
probes:
  - { name: up, kind: tcp, target: "127.0.0.1:${targetPort}", interval: 100ms, timeout: 80ms, jitter: 0% }
`);
  return file;
}

async function runs(agentPort: number): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${agentPort}/status`);
  const body = await r.json() as { probes: { runs: number }[] };
  return body.probes[0].runs;
}

describe("OTLP endpoint failures", () => {
  const ports = { target: 25300, hang: 25301, closed: 25302, agentA: 25303, agentB: 25304 };
  let target: net.Server;
  let hang: net.Server;
  const held: net.Socket[] = [];
  const children: Child[] = [];

  before(async () => {
    target = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => target.listen(ports.target, "127.0.0.1", r));
    // Accepts the export connection and never answers.
    hang = net.createServer((s) => held.push(s));
    await new Promise<void>((r) => hang.listen(ports.hang, "127.0.0.1", r));
  });
  after(async () => {
    for (const c of children) await c.stop("SIGKILL");
    for (const s of held) s.destroy();
    await new Promise((r) => target.close(r));
    await new Promise((r) => hang.close(r));
  });

  it("keeps probing with the endpoint refusing, and logs one line, not one per export", async () => {
    const agent = startChild(bin("bun"), ["cli/main.ts", "agent", "--config", agentConfig("refused", ports.agentA, ports.closed, ports.target)], { cwd: root });
    children.push(agent);
    await agent.waitFor(/listening on/, 20_000);
    const first = await eventually(async () => (await runs(ports.agentA)) >= 3 && runs(ports.agentA), 5000);
    await sleep(1500); // about 7 export intervals, each failing for spans and for metrics
    assert.ok((await runs(ports.agentA)) >= first + 10, "probing goes on at its rate");
    const r = await fetch(`http://127.0.0.1:${ports.agentA}/healthz`);
    assert.equal(r.status, 200);
    const lines = agent.output().split("\n").filter((l) => l.includes("Cannot export OpenTelemetry signals"));
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(lines[0], /ECONNREFUSED/);
    assert.equal(await agent.stop("SIGTERM", 5000), 0);
  });

  it("ends within the drain bound on SIGTERM while the endpoint hangs", async () => {
    const agent = startChild(bin("bun"), ["cli/main.ts", "agent", "--config", agentConfig("hang", ports.agentB, ports.hang, ports.target)], { cwd: root });
    children.push(agent);
    await agent.waitFor(/listening on/, 20_000);
    await eventually(async () => held.length > 0, 5000); // an export is in flight, unanswered
    const t0 = performance.now();
    const code = await agent.stop("SIGTERM", 5000);
    const ms = performance.now() - t0;
    assert.equal(code, 0, agent.output().slice(-1500));
    assert.ok(ms < 2000, `exit took ${ms.toFixed(0)}ms with a 1s drain bound`);
  });
});
