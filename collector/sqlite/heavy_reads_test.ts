import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStore } from "../sqlite_store.ts";
import { CHUNK_ROWS } from "./heavy_reads.ts";
import type { Batch, TelemetryRecord } from "../../telemetry/record.ts";

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 10, 20, 0, 0, 0);
/** One result of probe n4 a minute from minute `first`, every 5th a failure. */
const batch = (first: number, n: number): Batch => ({
  agentId: "upf-1",
  bootId: "b1",
  records: Array.from({ length: n }, (_, i) => {
    const seq = first + i;
    return (seq % 5 === 0
      ? { seq, type: "probe", at: T0 + seq * MINUTE + 1000, probe: "n4", kind: "pfcp", ok: false, latencyUs: 0, failure: { kind: "timeout" } }
      : { seq, type: "probe", at: T0 + seq * MINUTE + 1000, probe: "n4", kind: "pfcp", ok: true, latencyUs: 500 + seq }) as TelemetryRecord;
  }),
});

describe("heavy reads by chunks", () => {
  it("answers a history longer than one chunk with every step once, counted as the records fell, rows and memory alike", async () => {
    const dir = fs.mkdtempSync(join(tmpdir(), "ep-heavyreads-"));
    const path = join(dir, "c.db");
    const minutes = 3 * CHUNK_ROWS;
    let s = await openSqliteStore({ path, readThread: false });
    for (let first = 1; first <= minutes; first += 1000) await s.ingest(batch(first, Math.min(1000, minutes - first + 1)), T0);
    await s.close();
    // Opened again: those minutes are rows; 200 more are in memory only.
    s = await openSqliteStore({ path, readThread: false });
    await s.ingest(batch(minutes + 1, 200), T0);
    const window = { from: T0, to: T0 + (minutes + 300) * MINUTE };
    for (const step of [5 * MINUTE, 7 * MINUTE]) {
      const points = (await s.history("upf-1", "n4", window, step))!;
      const want = new Map<number, { count: number; ok: number }>();
      for (let seq = 1; seq <= minutes + 200; seq++) {
        const t = T0 + Math.floor((seq * MINUTE) / step) * step;
        const w = want.get(t) ?? { count: 0, ok: 0 };
        w.count++;
        if (seq % 5 !== 0) w.ok++;
        want.set(t, w);
      }
      assert.deepEqual(points.map((p) => [p.t, p.count, p.ok]), [...want].map(([t, w]) => [t, w.count, w.ok]), `step ${step / MINUTE} min`);
    }
    await s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
