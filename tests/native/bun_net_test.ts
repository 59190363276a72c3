/** runtime/bun_net.ts against real loopback peers (Bun only): what the probes rely on from Net.tcp. */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import tls from "node:tls";
import { readFileSync } from "node:fs";
import { type ChildProcess, spawn } from "node:child_process";
import { abandonedConnects, bunNet } from "../../runtime/bun_net.ts";
import { readdirSync } from "node:fs";
import { classifyError } from "../../probes/run_probe.ts";

describe("bunNet.tcp", () => {
  let echo: net.Server;
  let port = 0;
  before(async () => {
    echo = net.createServer((s) => {
      s.on("error", () => {});
      s.on("data", (d) => s.end(d));
    });
    await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
    port = (echo.address() as net.AddressInfo).port;
  });
  after(() => new Promise<void>((r) => echo.close(() => r())));

  it("connects, writes, reads and sees the peer close", async () => {
    const c = await bunNet.tcp({ host: "127.0.0.1", port }, AbortSignal.timeout(2000));
    assert.equal(c.remote.port, port);
    assert.ok(c.local.port > 0);
    // The address is read on first use (a tcp probe wants only the port), yet a copy sees it as a value.
    assert.deepEqual({ ...c.local }, { address: "127.0.0.1", port: c.local.port });
    assert.equal(JSON.stringify(c.local), `{"address":"127.0.0.1","port":${c.local.port}}`);
    const got: string[] = [];
    const closed = new Promise<Error | undefined>((r) => c.onClose(r));
    c.onData((d) => got.push(new TextDecoder().decode(d)));
    c.write(new TextEncoder().encode("ping"));
    assert.equal(await closed, undefined);
    assert.equal(got.join(""), "ping");
  });

  it("rejects a refused connect with ECONNREFUSED, which the agent classifies as refused", async () => {
    const free = net.createServer();
    await new Promise<void>((r) => free.listen(0, "127.0.0.1", r));
    const closedPort = (free.address() as net.AddressInfo).port;
    await new Promise<void>((r) => free.close(() => r()));
    const e = await bunNet.tcp({ host: "127.0.0.1", port: closedPort }, AbortSignal.timeout(2000)).then(() => undefined, (e) => e);
    assert.equal(classifyError(e), "refused");
  });

  it("rejects at once when the signal is already aborted", async () => {
    const c = new AbortController();
    c.abort(new Error("stop"));
    await assert.rejects(bunNet.tcp({ host: "127.0.0.1", port }, c.signal), /stop/);
  });
});

describe("bunNet.tcp with tls", () => {
  const certDir = new URL("../../server/testdata/", import.meta.url).pathname;
  const cert = readFileSync(certDir + "localhost.crt", "utf8");
  const key = readFileSync(certDir + "localhost.key", "utf8");
  let server: tls.Server;
  let silent: net.Server;
  let port = 0;
  let silentPort = 0;
  before(async () => {
    server = tls.createServer({ cert, key, ALPNProtocols: ["h2"] }, (s) => {
      s.on("error", () => {});
      s.on("data", (d) => s.end(d));
    });
    server.on("tlsClientError", () => {});
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as net.AddressInfo).port;
    silent = net.createServer((s) => s.on("error", () => {}));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    silentPort = (silent.address() as net.AddressInfo).port;
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await new Promise<void>((r) => silent.close(() => r()));
  });

  it("completes the handshake against the CA and the name, then carries data", async () => {
    const c = await bunNet.tcp({ host: "127.0.0.1", port, tls: { servername: "localhost", ca: cert } }, AbortSignal.timeout(2000));
    const got: string[] = [];
    const closed = new Promise<void>((r) => c.onClose(() => r()));
    c.onData((d) => got.push(new TextDecoder().decode(d)));
    c.write(new TextEncoder().encode("hello"));
    await closed;
    assert.equal(got.join(""), "hello");
  });

  it("refuses a certificate it cannot verify, and accepts it with verify: false", async () => {
    const e = await bunNet.tcp({ host: "127.0.0.1", port, tls: { servername: "localhost" } }, AbortSignal.timeout(2000)).then(() => undefined, (e) => e);
    assert.match(String(e?.code), /SELF_SIGNED|UNABLE_TO_VERIFY/);
    const c = await bunNet.tcp({ host: "127.0.0.1", port, tls: { verify: false } }, AbortSignal.timeout(2000));
    c.close();
  });

  it("gives up at the signal when the peer never answers the ClientHello", async () => {
    const t0 = performance.now();
    const e = await bunNet.tcp({ host: "127.0.0.1", port: silentPort, tls: { verify: false } }, AbortSignal.timeout(150)).then(() => undefined, (e) => e);
    assert.equal(classifyError(e), "timeout");
    assert.ok(performance.now() - t0 < 1000);
  });

  it("keeps each server name's verification apart (the options objects are shared per set)", async () => {
    const ok = await bunNet.tcp({ host: "127.0.0.1", port, tls: { servername: "localhost", ca: cert } }, AbortSignal.timeout(2000));
    ok.close();
    const e = await bunNet.tcp({ host: "127.0.0.1", port, tls: { servername: "other.example", ca: cert } }, AbortSignal.timeout(2000)).then(() => undefined, (e) => e);
    assert.match(String(e?.code ?? e), /ALTNAME|HOSTNAME|mismatch/i);
    const again = await bunNet.tcp({ host: "127.0.0.1", port, tls: { servername: "localhost", ca: cert } }, AbortSignal.timeout(2000));
    again.close();
  });

  // The probes offer X25519, P-256 and P-384 only (runtime/bun_net.ts PROBE_GROUPS): a server
  // without X25519 must still complete the handshake (HelloRetryRequest, RFC 8446 §4.1.4).
  for (const [group, openssl, at] of [["P-256", "secp256r1", 20440], ["P-384", "secp384r1", 20441]] as const) {
    it(`completes the handshake with a server that only takes ${group} (openssl s_server)`, async () => {
      const p: ChildProcess = spawn("openssl", ["s_server", "-accept", `127.0.0.1:${at}`, "-cert", certDir + "localhost.crt", "-key", certDir + "localhost.key", "-groups", group, "-www", "-quiet"], { stdio: "ignore" });
      try {
        let c;
        for (let i = 0; i < 50 && !c; i++) {
          c = await bunNet.tcp({ host: "127.0.0.1", port: at, tls: { servername: "localhost", ca: cert } }, AbortSignal.timeout(2000)).catch((e) => {
            if (!/REFUSED/.test(String(e?.code ?? e))) throw e;
            return new Promise<undefined>((r) => setTimeout(r, 100));
          });
        }
        assert.ok(c, "openssl s_server did not listen");
        const got: string[] = [];
        const closed = new Promise<void>((r) => c.onClose(() => r()));
        c.onData((d) => got.push(new TextDecoder().decode(d)));
        c.write(new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n"));
        await closed;
        assert.match(got.join(""), /^HTTP\/1\.0 200/);
        // s_server's status page: what the client offered and what the two share.
        assert.match(got.join(""), /Supported groups: x25519:secp256r1:secp384r1\n/);
        assert.match(got.join(""), new RegExp(`Shared groups: ${openssl}\n`));
      } finally {
        p.kill();
      }
    });
  }
});

describe("bunNet.tcp toward a peer that drops SYNs", () => {
  // A listener that never accepts, with a backlog of 0 (python3: Bun's node:net and Bun.listen
  // take no backlog this small): the kernel fills its accept queue, then drops further SYNs, so a
  // connect stays in SYN-SENT (the client retries for ~127 s).
  let child: ChildProcess;
  let port = 0;
  const fill: net.Socket[] = [];
  before(async () => {
    child = spawn("python3", ["-c", "import socket,sys,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(120)"], { stdio: ["ignore", "pipe", "inherit"] });
    port = await new Promise<number>((resolve, reject) => {
      child.stdout!.once("data", (d) => resolve(Number(String(d).trim())));
      child.once("exit", (c) => reject(new Error(`Cannot start the listener: exited ${c}`)));
    });
    for (let i = 0; i < 4; i++) {
      const s = net.connect(port, "127.0.0.1");
      s.on("error", () => {});
      fill.push(s);
    }
    await new Promise((r) => setTimeout(r, 300));
  });
  after(() => {
    for (const s of fill) s.destroy();
    child.kill("SIGKILL");
  });

  it("holds a bounded number of descriptors for connects it gave up on (Bun.connect cannot be cancelled)", async () => {
    const fds = () => readdirSync("/proc/self/fd").length;
    const base = fds();
    // As probes start: 10 waves of 20, each after the one before has timed out.
    let ok = 0;
    for (let wave = 0; wave < 10; wave++) {
      const results = await Promise.allSettled(Array.from({ length: 20 }, () => bunNet.tcp({ host: "127.0.0.1", port }, AbortSignal.timeout(50))));
      ok += results.filter((r) => r.status === "fulfilled").length;
    }
    assert.equal(ok, 0, "no connect to a peer that drops SYNs succeeds");
    await new Promise((r) => setTimeout(r, 200));
    const held = fds() - base;
    console.log(`syn-drop: 200 connects given up after 50 ms hold ${held} descriptors, ${abandonedConnects()} abandoned in Bun.connect`);
    // At most 32 left in Bun.connect, plus one wave started just before the count reached it.
    assert.ok(abandonedConnects() <= 32 + 20, `${abandonedConnects()} abandoned connects`);
    assert.ok(held <= 32 + 20 + 8, `${held} descriptors held by 200 connects given up on`);
  });
});
