/**
 * Fill a SQLite store file with long history through the store itself (minutes, hour and day
 * rollups, fleet rollups, nodes): `nodes` nodes × one probe `p0`, `perMinute` results a minute
 * for `days` days ending now. Used by bench/heavy_reads.ts and tests/collector/hostile_agent_test.ts
 * (the heaviest read needs rows to read).
 *
 *   bun bench/_history_seed.ts '{"path":"/tmp/x.db","nodes":3,"days":29}'
 */
import { openSqliteStore } from "../collector/sqlite_store.ts";
import type { TelemetryRecord } from "../telemetry/record.ts";

export interface SeedOptions {
  readonly path: string;
  readonly nodes: number;
  readonly days: number;
  /** Results a minute per node. @default 1 */
  readonly perMinute?: number;
  /** Node ids are `${prefix}${i}`. @default "hist-" */
  readonly prefix?: string;
}

export async function seedHistory(o: SeedOptions): Promise<{ records: number; ms: number }> {
  const t0 = performance.now();
  const store = await openSqliteStore({ path: o.path });
  const per = o.perMinute ?? 1;
  const end = Math.floor(Date.now() / 60_000) * 60_000;
  const start = end - o.days * 86_400_000;
  let records = 0;
  try {
    for (let n = 0; n < o.nodes; n++) {
      const agentId = `${o.prefix ?? "hist-"}${n}`;
      let seq = 0;
      let batch: TelemetryRecord[] = [];
      for (let t = start; t < end; t += 60_000) {
        for (let k = 0; k < per; k++) {
          const i = seq;
          // Latencies spread over 0.2-20 ms so every sketch holds many buckets; 1 in 50 fails.
          batch.push((i % 50 === 49
            ? { seq: ++seq, type: "probe", at: t + k, probe: "p0", kind: "tcp", ok: false, latencyUs: 0, failure: { kind: "timeout" } }
            : { seq: ++seq, type: "probe", at: t + k, probe: "p0", kind: "tcp", ok: true, latencyUs: 200 + ((i * 7919) % 19_800) }) as TelemetryRecord);
        }
        if (batch.length >= 2000) {
          await store.ingest({ agentId, bootId: "seed", records: batch }, t);
          records += batch.length;
          batch = [];
        }
      }
      if (batch.length > 0) await store.ingest({ agentId, bootId: "seed", records: batch }, end);
      records += batch.length;
    }
  } finally {
    await store.close();
  }
  return { records, ms: performance.now() - t0 };
}

if (import.meta.main) {
  const r = await seedHistory(JSON.parse(process.argv[2]) as SeedOptions);
  process.stdout.write(`seeded ${r.records} records in ${r.ms.toFixed(0)} ms\n`);
}
