/**
 * Signals over the agent's whole life, on a real process: a SIGHUP storm during start-up is
 * queued, SIGHUPs during the drain are ignored, a second SIGTERM cuts a drain that a hung
 * collector would otherwise hold for its full bound, and the exit is 0 with /healthz 503 at once.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import net from "node:net";
import { sleep } from "../_util/process.ts";
import { catches, get, spawnAgent } from "./_agent.ts";
import { startFakeCollector } from "./_collector.ts";

const SIGHUP = 1;
const SIGTERM = 15;

describe("agent signals over its whole life", () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it("SIGHUP storm in start-up, SIGHUP ignored in the drain, a second SIGTERM shortens it, exit 0", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ep-sig-"));
    const target = net.createServer((s) => s.destroy()).listen(0, "127.0.0.1");
    await new Promise((r) => target.once("listening", r));
    cleanups.push(() => void target.close());
    const collector = await startFakeCollector();
    cleanups.push(() => collector.close());
    // The collector takes the first batches, then hangs: the final flush would wait the whole drain.
    let hang = false;
    collector.answer = () => (hang ? "hang" : "ok");
    const { child, hostPort } = spawnAgent(dir, `
agent: { id: sig-agent }
server: { listen: "127.0.0.1:0" }
health: { drainTimeout: 30s }
probes:
  - { name: p, kind: tcp, target: "127.0.0.1:${(target.address() as net.AddressInfo).port}", interval: 100ms, timeout: 80ms }
telemetry:
  collector: ${collector.url}
  spool: { dir: ${join(dir, "spool")} }
  batch: { interval: 50ms }
  requestTimeout: 60s
`);
    cleanups.push(() => child.stop("SIGKILL", 1000));
    // Storm from the moment the handler exists until well after start-up.
    while (!catches(child.pid, SIGHUP)) {
      assert.equal(child.proc.exitCode, null, child.output());
      await sleep(1);
    }
    let hups = 0;
    let listening = false;
    void hostPort.then(() => (listening = true), () => {});
    const stormEnd = () => listening;
    while (!stormEnd()) {
      child.proc.kill("SIGHUP");
      hups++;
      await sleep(2);
      assert.equal(child.proc.exitCode, null, `the agent died during a SIGHUP storm in start-up:\n${child.output()}`);
    }
    const hp = await hostPort;
    assert.ok(hups > 0);
    assert.match(child.output(), /"event":"signal-queued","signal":"SIGHUP"/);
    for (let i = 0; i < 20; i++) {
      child.proc.kill("SIGHUP");
      await sleep(5);
    }
    const reloads = () => (child.output().match(/"event":"config-reload"/g) ?? []).length;
    for (let i = 0; i < 100 && reloads() < 2; i++) await sleep(20);
    assert.ok(reloads() >= 2, "the queued reload ran, and later ones too");
    assert.equal((await get(hp, "/healthz")).status, 200);
    // Let the uplink connect, then hang the collector.
    for (let i = 0; i < 100 && collector.posts === 0; i++) await sleep(20);
    assert.ok(collector.posts > 0);
    hang = true;
    await sleep(200);
    child.proc.kill("SIGTERM");
    const t0 = performance.now();
    await sleep(50);
    assert.equal((await get(hp, "/healthz")).status, 503, "503 at once on SIGTERM");
    for (let i = 0; i < 20; i++) {
      child.proc.kill("SIGHUP");
      await sleep(10);
    }
    assert.equal(child.proc.exitCode, null, "still draining, not killed by SIGHUP");
    assert.match(child.output(), /SIGHUP ignored: the agent is draining/);
    child.proc.kill("SIGTERM");
    const code = await Promise.race([child.exited, sleep(10_000).then(() => "still running")]);
    assert.equal(code, 0, child.output().slice(-2000));
    assert.ok(performance.now() - t0 < 10_000, "well within the 30s drain bound");
    assert.match(child.output(), /"event":"drain-shortened"/);
  });

  it("SIGTERM storm during start-up: queued, the agent starts, drains and exits 0", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ep-sig-"));
    // The config is a FIFO: the agent's start-up waits in its (async) config read until the test
    // writes, so the storm below lands in start-up however fast the rest of start-up is.
    const { child, release } = spawnAgent(dir, `
agent: { id: sig-early }
server: { listen: "127.0.0.1:0" }
probes:
  - { name: p, kind: tcp, target: "127.0.0.1:9", interval: 100ms, timeout: 80ms }
`, {}, { fifo: true });
    cleanups.push(() => child.stop("SIGKILL", 1000));
    while (!catches(child.pid, SIGTERM)) {
      assert.equal(child.proc.exitCode, null, child.output());
      await sleep(1);
    }
    for (let i = 0; i < 10 && child.proc.exitCode === null; i++) {
      child.proc.kill(i % 2 ? "SIGINT" : "SIGTERM");
      await sleep(2);
    }
    await release();
    const code = await Promise.race([child.exited, sleep(15_000).then(() => "still running")]);
    assert.equal(code, 0, child.output().slice(-2000));
    assert.match(child.output(), /"event":"signal-queued","signal":"SIGTERM"/);
    assert.match(child.output(), /"msg":"agent stopped"/);
  });
});
