import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import * as edgeprobe from "./mod.ts";

describe("the root mod.ts (edgeprobe as a library)", () => {
  it("exports the probe registry, the runner and the telemetry codec", () => {
    assert.deepEqual(Object.keys(edgeprobe.probeKinds).sort(), ["diameter", "dns", "etcd", "gtpc", "gtpu", "http", "pfcp", "sbi", "sip", "tcp"]);
    for (const name of ["runProbe", "classifyError", "encodeBatch", "decodeBatch", "nodeNet", "systemClock", "DecodeError"]) {
      assert.ok(name in edgeprobe, `mod.ts exports ${name}`);
    }
    assert.equal(edgeprobe.PROBE_STATUS_CODES.refused, 3);
  });
  it("runs a probe the way its module example shows", async () => {
    const server = createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as { port: number };
    try {
      const kind = edgeprobe.probeKinds.tcp;
      const probe = kind.create(
        { name: "t", target: `127.0.0.1:${port}`, intervalMs: 5000, timeoutMs: 1000, options: kind.options.parse({}) },
        { net: edgeprobe.nodeNet, now: () => edgeprobe.systemClock.now(), log: () => {} },
      );
      const result = await edgeprobe.runProbe(probe, 1000, edgeprobe.systemClock);
      await probe.close();
      assert.equal(result.ok, true);
      const bytes = edgeprobe.encodeBatch({ agentId: "a", bootId: "b", records: [{ seq: 1, type: "probe", at: result.startedAt, probe: "t", kind: "tcp", ok: true, latencyUs: 5 }] });
      assert.equal(edgeprobe.decodeBatch(bytes).records[0].type, "probe");
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
