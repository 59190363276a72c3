/**
 * `partitionOf()` against nats-server's own `partition(n, …)` subject mapping (a free loopback port): the
 * server maps `ep.in.<agent>` to `ep.out.<partition>.<agent>` and the collector's hash must pick
 * the same partition for every agent token, so an operator may let the server partition instead.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { encodeToken, partitionOf } from "../../collector/jetstream_keys.ts";
import { freePorts, NATS_SERVER } from "./_nats.ts";


describe("partitionOf() and nats-server's partition() mapping", () => {
  it("pick the same partition for 200 agent tokens, n = 7 and 16", async () => {
    const dir = fs.mkdtempSync(join(tmpdir(), "ep-nats-part-"));
    const [PORT] = await freePorts(1);
    const conf = join(dir, "n.conf");
    fs.writeFileSync(conf, [
      `listen: 127.0.0.1:${PORT}`,
      "mappings = {",
      '  "ep.in7.*": "ep.out7.{{partition(7,1)}}.{{wildcard(1)}}"',
      '  "ep.in16.*": "ep.out16.{{partition(16,1)}}.{{wildcard(1)}}"',
      "}",
    ].join("\n") + "\n");
    const child: ChildProcess = spawn(NATS_SERVER, ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    child.stderr!.on("data", (d: Buffer) => void (log += d.toString()));
    const exited = new Promise<void>((r) => child.on("exit", () => r()));
    try {
      let nc;
      for (let i = 0; !nc; i++) {
        try {
          nc = await connect({ servers: [`127.0.0.1:${PORT}`], timeout: 500 });
        } catch (e) {
          if (i > 50) throw new Error(`Cannot connect to nats-server: ${(e as Error).message}; ${log}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      const got = new Map<string, number>();
      const subs = ["ep.out7.>", "ep.out16.>"].map((subject) => nc.subscribe(subject, {
        callback: (_e, m) => {
          const [, n, p, agent] = m.subject.split(".");
          got.set(`${n}/${agent}`, Number(p));
        },
      }));
      await nc.flush();
      const agents = Array.from({ length: 200 }, (_, i) => encodeToken(i % 3 === 0 ? `upf-${i}` : i % 3 === 1 ? `smf.${i} west` : `gNB-${i * 7919}`));
      for (const a of agents) {
        nc.publish(`ep.in7.${a}`);
        nc.publish(`ep.in16.${a}`);
      }
      await nc.flush();
      const end = Date.now() + 5000;
      while (got.size < agents.length * 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      for (const s of subs) s.unsubscribe();
      await nc.close();
      assert.equal(got.size, 400, `the server mapped every publish (${got.size})`);
      for (const a of agents) {
        assert.equal(partitionOf(a, 7), got.get(`out7/${a}`), `${a}, n = 7`);
        assert.equal(partitionOf(a, 16), got.get(`out16/${a}`), `${a}, n = 16`);
      }
    } finally {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
