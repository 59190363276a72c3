/**
 * A stream's sequence hole (collector/seq_admit.ts) outlives a real collector restart: after an
 * ack-poisoning jump, the collector is stopped and started again on the same SQLite file, and the
 * victim's next records are still stored, once. The collector listens on a free port (port 0).
 * Run: bun test --timeout 60000 tests/collector/seq_hole_restart_test.ts
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Child, startChild } from "../_util/process.ts";
import { storedRecords } from "../telemetry/_procs.ts";
import { batchOf, jumpBatch, post } from "./_hostile.ts";
import type { TelemetryRecord } from "../../telemetry/record.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const BUN = join(ROOT, "node_modules/.bin/bun");
const SHARED = "shared-agent-token-stolen-0123";

describe("a sequence hole across a collector restart", () => {
  const dir = mkdtempSync(join(tmpdir(), "ep-hole-"));
  const cfg = join(dir, "collector.json");
  const db = join(dir, "collector.db");
  writeFileSync(cfg, JSON.stringify({ listen: "127.0.0.1:0", auth: { sharedToken: SHARED }, store: { path: db } }));
  let collector: Child | undefined;
  const start = async () => {
    collector = startChild(BUN, ["cli/main.ts", "collector", "--config", cfg], { cwd: ROOT });
    return (await collector.waitFor(/collector listening on \S+/, 15_000)).slice("collector listening on ".length);
  };
  after(async () => {
    await collector?.stop("SIGTERM", 5000);
    rmSync(dir, { recursive: true, force: true });
  });
  const probes = (first: number, n: number) =>
    Array.from({ length: n }, (_, i) => ({ seq: first + i, type: "probe", at: Date.now(), probe: "n4", kind: "tcp", ok: true, latencyUs: 100 }) as TelemetryRecord);

  it("keeps admitting the victim's seqs that a forged jump skipped", async () => {
    let url = await start();
    assert.equal(await post(url, batchOf("victim", probes(1, 10), "boot-1"), SHARED), 200);
    // The forgery: the victim's stream, 2^40, no spool-drop report accounting for it.
    assert.equal(await post(url, jumpBatch("victim", "boot-1", 2 ** 40, Date.now()), SHARED), 200);
    assert.equal(await collector!.stop("SIGTERM", 5000), 0);

    url = await start();
    assert.equal(await post(url, batchOf("victim", probes(11, 10), "boot-1"), SHARED), 200);
    // Sent again (its answer lost): duplicates now, stored once.
    assert.equal(await post(url, batchOf("victim", probes(11, 10), "boot-1"), SHARED), 200);
    assert.equal(await collector!.stop("SIGTERM", 5000), 0);
    collector = undefined;

    const seqs = (await storedRecords(db)).filter((r) => r.agentId === "victim" && r.seq < 2 ** 40).map((r) => r.seq);
    assert.deepEqual(seqs, Array.from({ length: 20 }, (_, i) => i + 1), "seqs 1-20 stored once each, 11-20 after the restart");
  });
});
