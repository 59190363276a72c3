/**
 * @module The alarm repository on NATS JetStream key-value, for collectors that share a fleet
 * (docs/alarms.md, "Persistence and scale-out"). The bucket `<bucket>` holds the alarm list
 * (`a.<alarmId>`), probe inventories (`inv.<node>`) and maintenance windows (`mw.<id>`): every
 * collector loads it at start and watches it, so the list is the same on every collector. Each
 * value names its writer, so a collector skips its own echoes. History and the northbound outbox
 * stay in a local SQLite file (every collector mirrors the alarms it sees into its history).
 *
 * Writes are last-writer-wins per key: two collectors changing the same alarm in the same instant
 * (an operator's acknowledgement racing the owner's severity change) keep the later write.
 */
import { Buffer } from "node:buffer";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "../nats_connect.ts";
import { jetstream } from "@nats-io/jetstream";
import { type KV, KvWatchInclude, Kvm } from "@nats-io/kv";
import type { LogFn } from "../../common/log.ts";
import type { ProbeMeta } from "../../telemetry/record.ts";
import type { MaintenanceWindow } from "./maintenance.ts";
import type { AlarmRepo, OutboxStore } from "./repo.ts";
import { inList, openSqliteAlarmRepo } from "./sqlite_repo.ts";
import type { AlarmRecord } from "./types.ts";

export interface JetstreamAlarmRepoOptions {
  readonly servers: readonly string[];
  /** @default "edgeprobe_alarms" */
  readonly bucket: string;
  readonly replicas: number;
  readonly timeout: number;
  readonly auth?: { token: string } | { user: string; pass: string };
  /** Local SQLite file for history and the outbox. */
  readonly localPath: string;
  /** This collector's name in the values it writes. */
  readonly writer: string;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
/** KV keys allow [-/_=.a-zA-Z0-9]: node ids are base64url (no padding). */
const token = (s: string) => Buffer.from(s, "utf8").toString("base64url");

interface Envelope<T> {
  readonly w: string;
  readonly v: T;
}

/** @throws {Error} "Cannot open the alarm bucket …" */
export async function openJetstreamAlarmRepo(o: JetstreamAlarmRepoOptions, deps: { log: LogFn }): Promise<{ repo: AlarmRepo; outbox: OutboxStore }> {
  let nc: NatsConnection;
  let kv: KV;
  try {
    nc = await connectNats({ ...o, name: "edgeprobe-collector-alarms" });
    const kvm = new Kvm(jetstream(nc, { timeout: o.timeout }));
    kv = await kvm.create(o.bucket, { replicas: o.replicas, history: 1 }).catch(() => kvm.open(o.bucket));
  } catch (e) {
    throw new Error(`Cannot open the alarm bucket ${o.bucket} on ${o.servers.join(",")}: ${(e as Error).message}`, { cause: e });
  }
  const local = await openSqliteAlarmRepo(o.localPath);
  const put = <T>(key: string, v: T) => kv.put(key, enc.encode(JSON.stringify({ w: o.writer, v } satisfies Envelope<T>)));
  const read = <T>(bytes: Uint8Array): Envelope<T> | undefined => {
    try {
      return JSON.parse(dec.decode(bytes)) as Envelope<T>;
    } catch {
      return undefined;
    }
  };
  const watchers: { stop(): void }[] = [];

  const repo: AlarmRepo = {
    async load() {
      const alarms: AlarmRecord[] = [];
      const inventory: [string, ProbeMeta[]][] = [];
      const maintenance: MaintenanceWindow[] = [];
      for await (const key of await kv.keys()) {
        const e = await kv.get(key);
        if (!e || e.operation !== "PUT" || e.value.length === 0) continue;
        const env = read<unknown>(e.value);
        if (!env) continue;
        if (key.startsWith("a.")) alarms.push(env.v as AlarmRecord);
        else if (key.startsWith("inv.")) inventory.push(env.v as [string, ProbeMeta[]]);
        else if (key.startsWith("mw.")) maintenance.push(env.v as MaintenanceWindow);
      }
      if (alarms.length) await local.saveAlarms(alarms);
      return { alarms, inventory, maintenance };
    },
    async saveAlarms(alarms) {
      await local.saveAlarms(alarms);
      for (const a of alarms) {
        // The final state goes out before the delete, so the others learn the acknowledgement.
        await put(`a.${a.alarmId}`, a);
        if (!inList(a)) await kv.delete(`a.${a.alarmId}`);
      }
    },
    async saveInventory(node, probes) {
      await local.saveInventory(node, probes);
      await put(`inv.${token(node)}`, [node, probes]);
    },
    history: (q) => local.history(q),
    async saveMaintenance(w) {
      await put(`mw.${w.id}`, w);
    },
    async deleteMaintenance(id) {
      const had = (await kv.get(`mw.${id}`))?.operation === "PUT";
      if (had) await kv.delete(`mw.${id}`);
      return had;
    },
    prune: (before) => local.prune(before),
    watch(onAlarm, onMaintenance) {
      let stopped = false;
      (async () => {
        const it = await kv.watch({ key: ">", include: KvWatchInclude.UpdatesOnly });
        watchers.push({ stop: () => it.stop() });
        if (stopped) it.stop();
        for await (const e of it) {
          const deleted = e.operation !== "PUT" || e.value.length === 0;
          if (e.key.startsWith("mw.")) {
            const env = deleted ? undefined : read<MaintenanceWindow>(e.value);
            if (env?.w === o.writer) continue;
            onMaintenance(env ? env.v : { id: e.key.slice(3), deleted: true });
          } else if (e.key.startsWith("a.") && !deleted) {
            const env = read<AlarmRecord>(e.value);
            if (!env || env.w === o.writer) continue;
            await local.saveAlarms([env.v]);
            onAlarm(env.v);
          }
          // An alarm key deleted elsewhere left the list there (cleared and acknowledged): the
          // acknowledging write that preceded the delete already told us.
        }
      })().catch((e) => deps.log("warn", "alarms: the alarm bucket watch stopped", { error: (e as Error).message }));
      return () => {
        stopped = true;
        for (const w of watchers) w.stop();
      };
    },
    async close() {
      for (const w of watchers) w.stop();
      await nc.drain().catch(() => {});
      await local.close();
    },
  };
  return { repo, outbox: local.outbox };
}
