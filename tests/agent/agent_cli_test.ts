/**
 * The agent from source on Bun and on Deno, driven as an operator would: a config file, curl over
 * HTTP/1.1, h2c and TLS, a target that dies and returns, SIGHUP and SIGTERM.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { type Child, eventually, sleep, startChild } from "../_util/process.ts";
import { curl, type CurlMode } from "../_util/curl.ts";

const root = new URL("../../", import.meta.url).pathname;
const bin = (n: string) => join(root, "node_modules/.bin", n);
const certDir = join(root, "server/testdata");

function config(port: number, targetPort: number, extra = "", tls = true): string {
  return `
agent: { id: it-agent, labels: { region: lab } }
server:
  listen: "127.0.0.1:${port}"
${tls ? `  tls: { cert: ${certDir}/localhost.crt, key: ${certDir}/localhost.key }` : ""}
probes:
  - { name: n4-path, kind: tcp, target: "127.0.0.1:${targetPort}", interval: 200ms, timeout: 150ms, jitter: 0%, fall: 2, rise: 2, interface: N4 }
${extra}`;
}

/** A TCP target that can die and come back on the same port. */
function target(port: number) {
  let server: net.Server | undefined;
  return {
    up: () => new Promise<void>((r) => {
      server = net.createServer((s) => s.destroy()).listen(port, "127.0.0.1", () => r());
    }),
    down: () => new Promise<void>((r) => (server ? server.close(() => r()) : r())),
  };
}

// With `tls`, Bun.serve speaks TLS only on the port (h2 and http/1.1 by ALPN); the node:net front
// on Deno also answers cleartext HTTP/1.1 and h2c there (docs/health.md).
const runtimes: Array<{ name: string; cmd: string; args: string[]; modes: CurlMode[] }> = [
  { name: "bun", cmd: bin("bun"), args: ["cli/main.ts"], modes: ["h1tls", "h2tls"] },
  { name: "deno", cmd: bin("deno"), args: ["run", "-A", "cli/main.ts"], modes: ["http1.1", "h2c", "h2tls"] },
];

runtimes.forEach((rt, i) => {
  describe(`agent from source on ${rt.name}`, () => {
    const port = 24110 + i * 10;
    const tport = port + 1;
    const dir = mkdtempSync(join(tmpdir(), "ep-agent-"));
    const cfg = join(dir, "agent.yaml");
    const t = target(tport);
    let agent: Child;
    before(async () => {
      await t.up();
      writeFileSync(cfg, config(port, tport));
      agent = startChild(rt.cmd, [...rt.args, "agent", "--config", cfg], { cwd: root });
      await agent.waitFor(/listening on 127\.0\.0\.1:\d+/, 20_000);
    });
    after(async () => {
      await agent?.stop("SIGKILL");
      await t.down();
    });

    it("goes 200 -> 503 -> 200 over HTTP/1.1, h2c and TLS h2 as the target dies and returns", async () => {
      const hp = `127.0.0.1:${port}`;
      const all = async (want: number) => {
        for (const mode of rt.modes) {
          const r = await curl(mode, hp, "/healthz");
          if (r.status !== want) return false;
        }
        return true;
      };
      await eventually(() => all(200), 3000);
      for (const mode of rt.modes) {
        const r = await curl(mode, hp, "/healthz");
        assert.equal(r.version, mode === "http1.1" || mode === "h1tls" ? "1.1" : "2", mode);
        assert.equal(r.body, '{"status":"UP"}');
      }
      await t.down();
      const downAt = performance.now();
      await eventually(() => all(503), 3000);
      // fall (2) x interval (200 ms) + timeout (150 ms), plus slack for a loaded CI machine
      assert.ok(performance.now() - downAt < 2500);
      const body = JSON.parse((await curl(rt.modes.at(-2)!, hp, "/healthz")).body);
      assert.equal(body.status, 503);
      assert.deepEqual(body.failingProbes, ["n4-path"]);
      await t.up();
      await eventually(() => all(200), 3000);
    });

    it("serves /status, /readyz, /livez and a 404 problem+json", async () => {
      const hp = `127.0.0.1:${port}`;
      const [h1, h2] = rt.modes;
      const status = JSON.parse((await curl(h1, hp, "/status")).body);
      assert.equal(status.agent.id, "it-agent");
      assert.equal(status.probes[0].name, "n4-path");
      assert.equal(status.probes[0].interface, "N4");
      assert.ok(status.probes[0].runs > 0);
      assert.equal((await curl(h2, hp, "/readyz")).status, 200);
      assert.equal((await curl("h2tls", hp, "/livez")).status, 200);
      const nf = await curl(h1, hp, "/nope", ["-i"]);
      assert.equal(nf.status, 404);
      assert.match(nf.body, /content-type: application\/problem\+json/i);
    });

    it("exposes /metrics that promtool accepts", async () => {
      const m = (await curl(rt.modes[0], `127.0.0.1:${port}`, "/metrics")).body;
      assert.match(m, /edgeprobe_probe_success\{probe="n4-path",kind="tcp",interface="N4"\} [01]/);
      const out = execFileSync("promtool", ["check", "metrics"], { input: m, encoding: "utf8" });
      assert.equal(out.trim(), "");
    });
  });
});

describe("agent signals (bun)", () => {
  const port = 24140;
  const tport = 24141;
  const dir = mkdtempSync(join(tmpdir(), "ep-agent-sig-"));
  const cfg = join(dir, "agent.yaml");
  const t = target(tport);
  before(() => t.up());
  after(() => t.down());

  it("SIGHUP keeps unchanged probes' counters, adds new ones, and refuses an invalid config", async () => {
    writeFileSync(cfg, config(port, tport, "", false));
    const agent = startChild(bin("bun"), ["cli/main.ts", "agent", "--config", cfg], { cwd: root });
    try {
      await agent.waitFor(/listening on/, 20_000);
      const hp = `127.0.0.1:${port}`;
      await eventually(async () => JSON.parse((await curl("http1.1", hp, "/status")).body).probes[0].runs >= 3, 5000);
      const before = JSON.parse((await curl("http1.1", hp, "/status")).body).probes[0].runs;
      writeFileSync(cfg, config(port, tport, `  - { name: extra, kind: tcp, target: "127.0.0.1:${tport}", interval: 300ms, timeout: 100ms, critical: false }`, false));
      agent.proc.kill("SIGHUP");
      await agent.waitFor(/"msg":"config reloaded"[^\n]*"added":\["extra"\][^\n]*"kept":\["n4-path"\]/, 5000);
      const s = JSON.parse((await curl("http1.1", hp, "/status")).body);
      assert.ok(s.probes[0].runs >= before, "counters were reset");
      assert.deepEqual(s.probes.map((p: { name: string }) => p.name), ["n4-path", "extra"]);
      writeFileSync(cfg, config(port, tport, "", false).replace("interval: 200ms", "interval: 2 seconds"));
      agent.proc.kill("SIGHUP");
      await agent.waitFor(/config reload refused[^\n]*probes\[0\]\.interval: expected a duration such as 5s, got \\"2 seconds\\"/, 5000);
      const s2 = JSON.parse((await curl("http1.1", hp, "/status")).body);
      assert.equal(s2.probes.length, 2, "the old config must keep running");
      assert.match((await curl("http1.1", hp, "/metrics")).body, /edgeprobe_config_reloads_total\{result="failed"\} 1/);
    } finally {
      await agent.stop("SIGKILL");
    }
  });

  it("SIGTERM exits 0 within the drain bound", async () => {
    writeFileSync(cfg, config(port + 2, tport, "", false));
    const agent = startChild(bin("bun"), ["cli/main.ts", "agent", "--config", cfg], { cwd: root });
    await agent.waitFor(/listening on/, 20_000);
    await sleep(300);
    const t0 = performance.now();
    agent.proc.kill("SIGTERM");
    const code = await agent.exited;
    assert.equal(code, 0);
    assert.ok(performance.now() - t0 < 5000);
    assert.match(agent.output(), /"msg":"agent stopped"/);
  });
});
