import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import net from "node:net";
import { connectNats } from "./nats_connect.ts";

/** A free loopback port (bound and released). */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe("connectNats()", () => {
  it("connects to a real nats-server with a token, named as asked", async () => {
    const port = await freePort();
    const server = spawn("nats-server", ["-a", "127.0.0.1", "-p", String(port), "--auth", "s3cret"], { stdio: "ignore" });
    try {
      let nc;
      for (let i = 0; !nc; i++) {
        nc = await connectNats({ servers: [`127.0.0.1:${port}`], name: "edgeprobe-test", timeout: 1000, auth: { token: "s3cret" } }).catch((e) => {
          if (i > 50) throw e;
          return new Promise<undefined>((r) => setTimeout(r, 100));
        });
      }
      assert.equal(nc.info?.port, port);
      await nc.close();
      await assert.rejects(connectNats({ servers: [`127.0.0.1:${port}`], name: "edgeprobe-test", timeout: 1000, auth: { token: "wrong" } }), /^Error: Cannot connect to NATS 127\.0\.0\.1:\d+: /);
    } finally {
      server.kill();
    }
  });
  it("names the servers when none answers", async () => {
    const port = await freePort();
    await assert.rejects(connectNats({ servers: [`127.0.0.1:${port}`], name: "edgeprobe-test", timeout: 500 }), (e: Error) => {
      assert.match(e.message, new RegExp(`^Cannot connect to NATS 127\\.0\\.0\\.1:${port}: `));
      assert.ok(e.cause);
      return true;
    });
  });
});
