/**
 * How the `tcp` probe ends its connection, seen from a real node:net listener and from the
 * kernel's socket table: by default a RST (the peer's socket errors with ECONNRESET, no TIME_WAIT
 * on the prober), with `close: graceful` a FIN (the peer reads the end, and the prober, closing
 * first, holds its 4-tuple in TIME_WAIT). docs/config.md "TCP close".
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer, type Server, type Socket } from "node:net";
import { platformNet } from "../../runtime/mod.ts";
import { tcp, tcpOptions } from "./mod.ts";

/** What the listener's side of one connection saw: an error code or a clean end. */
interface PeerSide {
  readonly ended: boolean;
  readonly error?: string;
}

/** `ss` (iproute2): the local ports of TIME_WAIT sockets whose peer is 127.0.0.1:port. */
function timeWaitPortsTo(port: number): number[] {
  const out = execFileSync("ss", ["-Htan", "state", "time-wait", "dst", `127.0.0.1:${port}`], { encoding: "utf8" });
  return out.split("\n").filter(Boolean).map((l) => Number(l.trim().split(/\s+/).at(-2)!.split(":").at(-1)));
}

describe("tcp probe close", () => {
  let server: Server;
  let port = 0;
  // Each accepted connection, settled when the prober's close reaches this side.
  const sides: Promise<PeerSide>[] = [];

  before(async () => {
    server = createServer((s: Socket) => {
      sides.push(
        new Promise((resolve) => {
          let ended = false;
          s.on("end", () => {
            ended = true;
            // Our half too, so the prober's FIN_WAIT2 becomes TIME_WAIT at once.
            s.end();
          });
          s.on("error", (e: Error & { code?: string }) => resolve({ ended, error: e.code ?? e.message }));
          s.on("close", () => resolve({ ended }));
        }),
      );
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as { port: number }).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  async function probeOnce(options: Record<string, unknown>): Promise<{ localPort: number; peer: PeerSide }> {
    const before = sides.length;
    const inst = tcp.create(
      { name: "t", target: `127.0.0.1:${port}`, intervalMs: 1000, timeoutMs: 2000, options: tcpOptions.parse(options) },
      { net: platformNet, now: () => Date.now(), log: () => {} },
    );
    const out = await inst.run(AbortSignal.timeout(2000));
    assert.equal(out.ok, true);
    while (sides.length === before) await new Promise((r) => setTimeout(r, 5));
    const peer = await sides[before];
    // Let the kernel finish the close on both sides before reading its table.
    await new Promise((r) => setTimeout(r, 50));
    return { localPort: Number(out.facts?.localPort), peer };
  }

  it("resets by default: the peer sees ECONNRESET and no TIME_WAIT stays on the prober", async () => {
    assert.equal(tcpOptions.parse({}).close, "reset");
    const { localPort, peer } = await probeOnce({});
    assert.equal(peer.error, "ECONNRESET");
    assert.equal(peer.ended, false);
    assert.ok(localPort > 0);
    assert.deepEqual(timeWaitPortsTo(port).filter((p) => p === localPort), []);
  });

  it("ten probes in a row leave no TIME_WAIT socket toward the target", async () => {
    const ports: number[] = [];
    for (let i = 0; i < 10; i++) ports.push((await probeOnce({})).localPort);
    const waiting = new Set(timeWaitPortsTo(port));
    assert.deepEqual(ports.filter((p) => waiting.has(p)), []);
  });

  it("closes with a FIN with close: graceful: the peer reads the end, the prober holds TIME_WAIT", async () => {
    const { localPort, peer } = await probeOnce({ close: "graceful" });
    assert.equal(peer.ended, true);
    assert.equal(peer.error, undefined);
    assert.ok(timeWaitPortsTo(port).includes(localPort), `local port ${localPort} in TIME_WAIT`);
  });

  it("refuses an unknown close mode", () => {
    assert.throws(() => tcpOptions.parse({ close: "linger" }));
  });
});
