import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { openTcp } from "./node_net.ts";
import { openBunTcp } from "./bun_net.ts";
import { countAbortListeners } from "../common/abortable_test_kit.ts";

// The agent's stop signal outlives every probe run: a connect that settles must take its abort
// listener with it (common/abortable.ts addAbortListener), or 1,000 probes leak 1,000 listeners a round.
const opens = [["node:net", openTcp], ...("Bun" in globalThis ? [["Bun.connect", openBunTcp] as const] : [])] as const;

describe("TCP connect and the abort signal", () => {
  let server: net.Server;
  let port = 0;
  before(async () => {
    server = net.createServer((s) => s.on("error", () => {}));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as net.AddressInfo).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  for (const [name, open] of opens) {
    it(`${name}: no abort listener left after 500 connects and 50 refusals on one long-lived signal`, async () => {
      const long = countAbortListeners(new AbortController().signal);
      for (let i = 0; i < 500; i++) (await open({ host: "127.0.0.1", port }, long.signal)).close();
      // A closed port: the refusal settles the connect too.
      const closed = net.createServer();
      await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
      const dead = (closed.address() as net.AddressInfo).port;
      await new Promise<void>((r) => closed.close(() => r()));
      for (let i = 0; i < 50; i++) await assert.rejects(open({ host: "127.0.0.1", port: dead }, long.signal));
      assert.equal(long.listeners(), 0);
    });
    it(`${name}: an aborted signal rejects with its reason`, async () => {
      await assert.rejects(open({ host: "127.0.0.1", port }, AbortSignal.abort(new Error("stopping"))), /stopping/);
    });
  }
});
