/**
 * The compiled linux-x64 binary end to end: the CLI commands, /healthz over HTTP/1.1 and h2c on
 * one plain port and over h2 and http/1.1 on a TLS port, 200 → 503 → 200 as a TCP
 * target dies and returns, and SIGTERM → exit 0 within a bound.
 * Ports 24500-24549 on 127.0.0.1.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import net from "node:net";
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBuilt, ROOT } from "./ensure_built.ts";
import { type AgentProcess, healthzStatus, spawnAgent, waitFor } from "./agent_process.ts";
import { curl } from "./curl.ts";

function run(bin: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(bin, args, { cwd: ROOT, timeout: 20_000 }, (e, out, err) => {
      resolve({ code: e ? (typeof e.code === "number" ? e.code : -1) : 0, out, err });
    });
  });
}

/** A TCP target that can die (close, refusing connects) and come back on the same port. */
function tcpTarget(port: number) {
  let server: net.Server | undefined;
  const sockets = new Set<net.Socket>();
  return {
    up: () =>
      new Promise<void>((resolve, reject) => {
        server = net.createServer((s) => {
          sockets.add(s);
          s.on("close", () => sockets.delete(s));
          s.on("error", () => {});
        });
        server.once("error", reject);
        server.listen(port, "127.0.0.1", () => resolve());
      }),
    down: () =>
      new Promise<void>((resolve) => {
        if (!server) return resolve();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
        server = undefined;
      }),
  };
}

let bin: string;
before(async () => {
  bin = await ensureBuilt("linux-x64");
});

describe("compiled linux-x64 binary: CLI", () => {
  it("version names the build target and the runtime", async () => {
    const r = await run(bin, ["version"]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^edgeprobe \d+\.\d+\.\d+ \(target linux-x64, runtime bun \d+\.\d+\.\d+, bun\)\n$/);
  });

  it("--help lists the commands and exits 0", async () => {
    const r = await run(bin, ["--help"]);
    assert.equal(r.code, 0, r.err);
    for (const c of ["agent", "check", "probe", "version"]) assert.match(r.out, new RegExp(`^  ${c} `, "m"));
  });

  it("check accepts the shipped example (0) and names the field of a broken one (2)", async () => {
    const ok = await run(bin, ["check", "--config", "examples/loopback.yaml"]);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /valid agent config for edge-demo: 2 probe\(s\)/);
    const bad = await run(bin, ["check", "--config", "agent/testdata/invalid-interval.yaml"]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /probes\[\d+\]\.interval: /);
  });

  it("is self-contained: a copy outside the repo runs from / without node_modules", async () => {
    const dir = mkdtempSync(join(tmpdir(), "edgeprobe-alone-"));
    try {
      const copy = join(dir, "edgeprobe");
      copyFileSync(bin, copy);
      chmodSync(copy, 0o755);
      writeFileSync(join(dir, "agent.yaml"), "agent: { id: alone }\nprobes:\n  - { name: p, kind: tcp, target: 127.0.0.1:1 }\n");
      const r = await new Promise<{ code: number; out: string; err: string }>((resolve) => {
        execFile(copy, ["check", "--config", join(dir, "agent.yaml")], { cwd: "/", env: { PATH: "/usr/bin:/bin" }, timeout: 20_000 }, (e, out, err) =>
          resolve({ code: e ? (typeof e.code === "number" ? e.code : -1) : 0, out, err }));
      });
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /valid agent config for alone: 1 probe\(s\) \(p\/tcp\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("probe tcp: ok against a listener (exit 0), refused against a closed port (exit 1)", async () => {
    const target = tcpTarget(24510);
    await target.up();
    try {
      const ok = await run(bin, ["probe", "tcp", "127.0.0.1:24510", "--json"]);
      assert.equal(ok.code, 0, ok.err);
      assert.equal(JSON.parse(ok.out).ok, true);
    } finally {
      await target.down();
    }
    const refused = await run(bin, ["probe", "tcp", "127.0.0.1:24510", "--json"]);
    assert.equal(refused.code, 1);
    assert.equal(JSON.parse(refused.out).failure.kind, "refused");
  });
});

describe("compiled linux-x64 binary: one plain port for HTTP/1.1 and h2c", () => {
  const port = 24504;
  let agent: AgentProcess;
  before(async () => {
    agent = spawnAgent({ command: [bin], config: `agent: { id: bin-plain }\nserver: { listen: "127.0.0.1:${port}" }\nprobes: []\n` });
    await waitFor("the agent answering", () => healthzStatus(port), 10_000);
  });
  after(() => agent?.stop());

  it("curl --http1.1 gets 200 over HTTP/1.1", async () => {
    const r = await curl(["--http1.1"], `http://127.0.0.1:${port}/healthz`);
    assert.deepEqual([r.status, r.httpVersion], [200, "1.1"], agent.logs());
    assert.equal(JSON.parse(r.body).status, "UP");
  });

  it("curl --http2-prior-knowledge gets 200 over h2c", async () => {
    const r = await curl(["--http2-prior-knowledge"], `http://127.0.0.1:${port}/healthz`);
    assert.deepEqual([r.status, r.httpVersion], [200, "2"], agent.logs());
    assert.equal(JSON.parse(r.body).status, "UP");
  });
});

// With `server.tls`, Bun.serve speaks TLS only on the port: h2 and http/1.1 by ALPN; a cleartext
// client's connection is closed without an answer (docs/health.md).
describe("compiled linux-x64 binary: one TLS port for h2 and http/1.1", () => {
  const port = 24501;
  let agent: AgentProcess;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "edgeprobe-tls-"));
    // A throwaway self-signed certificate, as an operator would make one.
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
      "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { stdio: "ignore" });
    agent = spawnAgent({
      command: [bin],
      files: { "cert.pem": readFileSync(join(dir, "cert.pem"), "utf8"), "key.pem": readFileSync(join(dir, "key.pem"), "utf8") },
      config: `agent: { id: bin-tls }
server:
  listen: "127.0.0.1:${port}"
  tls: { cert: "@DIR@/cert.pem", key: "@DIR@/key.pem" }
probes: []
`,
    });
    await waitFor("the agent answering over TLS", () => curl(["-k", "--http1.1"], `https://127.0.0.1:${port}/healthz`).then((r) => r.status, () => undefined), 10_000);
  });
  after(async () => {
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a cleartext client gets no answer from the TLS port", async () => {
    await assert.rejects(curl(["--http1.1"], `http://127.0.0.1:${port}/healthz`, 3000), /Empty reply|reset|closed/i);
  });

  it("curl --http2 over TLS negotiates h2 by ALPN and gets 200", async () => {
    const r = await curl(["-k", "--http2"], `https://127.0.0.1:${port}/healthz`);
    assert.deepEqual([r.status, r.httpVersion], [200, "2"], agent.logs());
  });

  it("curl --http1.1 over TLS (ALPN http/1.1) gets 200 from the same port", async () => {
    const r = await curl(["-k", "--http1.1"], `https://127.0.0.1:${port}/healthz`);
    assert.deepEqual([r.status, r.httpVersion], [200, "1.1"], agent.logs());
  });

  it("TLS 1.2 (the floor) still negotiates h2", async () => {
    const r = await curl(["-k", "--http2", "--tlsv1.2", "--tls-max", "1.2"], `https://127.0.0.1:${port}/healthz`);
    assert.deepEqual([r.status, r.httpVersion], [200, "2"], agent.logs());
  });
});

describe("compiled linux-x64 binary: /healthz follows a dying and returning TCP target", () => {
  const port = 24502;
  const targetPort = 24511;
  const interval = 200;
  const timeout = 150;
  const fall = 3;
  const rise = 2;
  const target = tcpTarget(targetPort);
  let agent: AgentProcess;
  before(async () => {
    await target.up();
    agent = spawnAgent({
      command: [bin],
      config: `agent: { id: bin-flap }
server: { listen: "127.0.0.1:${port}" }
probes:
  - { name: upf-n4, kind: tcp, target: "127.0.0.1:${targetPort}", interval: ${interval}ms, timeout: ${timeout}ms, jitter: 0, fall: ${fall}, rise: ${rise}, critical: true }
`,
    });
    await waitFor("the first 200", async () => (await healthzStatus(port)) === 200 ? true : undefined, 10_000);
  });
  after(async () => {
    await agent?.stop();
    await target.down();
  });

  it("200 → 503 within fall × interval + timeout, and → 200 within rise × interval", async () => {
    // Let the probe settle healthy for a few cycles.
    await new Promise((r) => setTimeout(r, 2 * interval));
    assert.equal(await healthzStatus(port), 200);

    const t0 = performance.now();
    await target.down();
    await waitFor("503 after the target died", async () => (await healthzStatus(port)) === 503 ? true : undefined, 10_000, 10);
    const downMs = performance.now() - t0;
    const h2 = await curl(["--http2-prior-knowledge"], `http://127.0.0.1:${port}/healthz`);
    assert.equal(h2.status, 503);
    const problem = JSON.parse(h2.body);
    assert.deepEqual(problem.failingProbes, ["upf-n4"]);

    const t1 = performance.now();
    await target.up();
    await waitFor("200 after the target returned", async () => (await healthzStatus(port)) === 200 ? true : undefined, 10_000, 10);
    const upMs = performance.now() - t1;

    // fall consecutive failures need at least (fall - 1) whole intervals after the first one.
    // Upper bounds are generous (CI runners are slow), lower bounds prove the thresholds hold.
    const downBound = fall * interval + timeout;
    const upBound = rise * interval;
    console.log(`binary flap: 503 after ${downMs.toFixed(0)}ms (bound ${downBound}ms), 200 after ${upMs.toFixed(0)}ms (bound ${upBound}ms)`);
    assert.ok(downMs >= (fall - 1) * interval - 50, `503 came after ${downMs}ms, before fall=${fall} failures could have happened`);
    assert.ok(downMs <= downBound + 1000, `503 came after ${downMs}ms, bound ${downBound}ms (+1s slack)\n${agent.logs()}`);
    assert.ok(upMs >= (rise - 1) * interval - 50, `200 came after ${upMs}ms, before rise=${rise} successes could have happened`);
    assert.ok(upMs <= upBound + 1000, `200 came after ${upMs}ms, bound ${upBound}ms (+1s slack)\n${agent.logs()}`);
    // One structured line per verdict change; stderr may arrive a moment after the HTTP answer.
    const verdictChanges = () => agent.logs().split("\n").filter((l) => l.includes('"event":"verdict-change"')).map((l) => JSON.parse(l));
    const changes = await waitFor("the DOWN → UP log line", async () => {
      const c = verdictChanges();
      return c.at(-1)?.to === "UP" && c.length >= 2 ? c : undefined;
    }, 5000).catch(() => verdictChanges());
    assert.deepEqual(changes.slice(-2).map((c) => [c.from, c.to]), [["UP", "DOWN"], ["DOWN", "UP"]]);
  });
});

describe("compiled linux-x64 binary: SIGTERM", () => {
  it("exits 0 within a bound, even with an idle keep-alive connection open", async () => {
    const port = 24503;
    const agent = spawnAgent({
      command: [bin],
      config: `agent: { id: bin-term }
server: { listen: "127.0.0.1:${port}" }
health: { drainTimeout: 1s }
probes: []
`,
    });
    await waitFor("the agent answering", () => healthzStatus(port), 10_000);
    // An idle HTTP/1.1 keep-alive client must not hold the exit back.
    const idle = net.connect(port, "127.0.0.1");
    idle.on("error", () => {});
    await new Promise<void>((r) => idle.once("connect", () => r()));
    idle.write("GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n");
    await new Promise<void>((r) => idle.once("data", () => r()));
    const t0 = performance.now();
    agent.child.kill("SIGTERM");
    const bound = 3000;
    const code = await Promise.race([agent.exited, new Promise((r) => setTimeout(() => r("still running"), bound))]);
    const ms = performance.now() - t0;
    idle.destroy();
    if (code === "still running") await agent.stop(100);
    console.log(`binary SIGTERM: exit ${code} after ${ms.toFixed(0)}ms`);
    assert.equal(code, 0, agent.logs());
    assert.ok(ms < bound);
    assert.match(agent.logs(), /"msg":"agent stopped"/);
  });
});
