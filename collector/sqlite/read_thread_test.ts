import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStore } from "../sqlite_store.ts";
import { startReadThread } from "./read_thread.ts";
import type { Batch, TelemetryRecord } from "../../telemetry/record.ts";

const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);
const tmp = () => fs.mkdtempSync(join(tmpdir(), "ep-readthread-"));
/** `n` results of probe n4 every 20 s from `first`, every 7th a failure. */
const batch = (first: number, n: number, node = "upf-1"): Batch => ({
  agentId: node,
  bootId: "b1",
  records: Array.from({ length: n }, (_, i) => {
    const seq = first + i;
    return (seq % 7 === 0
      ? { seq, type: "probe", at: T0 + seq * 20_000, probe: "n4", kind: "pfcp", ok: false, latencyUs: 0, failure: { kind: "timeout" } }
      : { seq, type: "probe", at: T0 + seq * 20_000, probe: "n4", kind: "pfcp", ok: true, latencyUs: 500 + ((seq * 7919) % 9000) }) as TelemetryRecord;
  }),
});

describe("the SQLite store's read thread", () => {
  it("answers history and latency as the store's own thread does: rows on disk merged with the minutes only memory holds", async () => {
    const dir = tmp();
    const answers: string[][] = [];
    for (const readThread of [false, true]) {
      const path = join(dir, `${readThread}.db`);
      let s = await openSqliteStore({ path, readThread, onReadThreadError: (e) => assert.fail(e) });
      for (const node of ["upf-1", "upf-2"]) await s.ingest(batch(1, 300, node), T0);
      // Closed and opened again: those minutes are rows now; the next records fall partly into
      // the same minutes (memory slots over the rows) and partly into new ones (memory only).
      await s.close();
      s = await openSqliteStore({ path, readThread, onReadThreadError: (e) => assert.fail(e) });
      for (const node of ["upf-1", "upf-2"]) await s.ingest(batch(301, 200, node), T0);
      const day = { from: T0, to: T0 + 86_400_000 };
      const dec = new TextDecoder();
      answers.push([
        JSON.stringify(await s.history("upf-1", "n4", day, 300_000)),
        JSON.stringify(await s.history("upf-1", "n4", day, 3_600_000)),
        JSON.stringify(await s.latency("n4", day)),
        JSON.stringify(await s.latency("n4", day, ["upf-1", "upf-2"])),
        dec.decode(await s.historyBody!("upf-2", "n4", { from: T0 + 600_000, to: T0 + 7_200_000 }, 60_000)),
        dec.decode(await s.latencyBody!("n4", { from: T0, to: T0 + 3 * 86_400_000 }, ["upf-2"])),
        String(await s.history("upf-1", "no-such-probe", day, 60_000)),
      ]);
      await s.close();
    }
    assert.deepEqual(answers[1], answers[0]);
    const h = JSON.parse(answers[0][4]) as { node: string; step: number; summary: { count: number }; points: { t: number; count: number }[] };
    assert.deepEqual([h.node, h.step, h.summary.count], ["upf-2", 60_000, 330]);
    assert.equal(h.points.reduce((n, p) => n + p.count, 0), 330);
    assert.equal(JSON.parse(answers[0][2]).count, 1000);
    assert.equal(JSON.parse(answers[0][3]).count, 1000);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("runs on a thread of its own at a lower CPU priority (Linux: nice 10, SCHED_IDLE)", { skip: !fs.existsSync("/proc/thread-self") }, async () => {
    const dir = tmp();
    const s = await openSqliteStore({ path: join(dir, "c.db") });
    await s.ingest(batch(1, 10), T0);
    await s.latency("n4", { from: T0, to: T0 + 3_600_000 });
    // proc(5) stat fields 19 (nice) and 41 (policy; SCHED_IDLE is 5, set with chrt(1) where present).
    const threads = fs.readdirSync(`/proc/${process.pid}/task`).map((t) => fs.readFileSync(`/proc/${process.pid}/task/${t}/stat`, "utf8").split(") ")[1].split(" ")).map((f) => `${f[16]}/${f[38]}`);
    await s.close();
    assert.ok(threads.includes(fs.existsSync("/usr/bin/chrt") ? "10/5" : "10/0"), `a thread at nice 10 under SCHED_IDLE among nice/policy ${threads}`);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("refuses to start on a file it cannot open, with the reason", async () => {
    const dir = tmp();
    await assert.rejects(startReadThread(join(dir, "missing", "c.db")), /Cannot start the read thread: /);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
