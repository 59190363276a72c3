/** runtime/bun_net.ts against real loopback peers (Bun only): what the probes rely on from Net.tcp. */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { bunNet } from "../../runtime/bun_net.ts";
import { classifyError } from "../../agent/run_probe.ts";

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
