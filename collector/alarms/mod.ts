/**
 * @module Alarms for the NOC (docs/alarms.md): `startAlarms` opens the repository, the northbound
 * outboxes and the engine for a collector; `alarmRoutes` is the REST sub-app.
 */
import type { LogFn } from "../../common/log.ts";
import type { Store } from "../store.ts";
import { alertmanagerMessages, alertmanagerSender } from "./alertmanager.ts";
import type { AlarmsConfig } from "./config.ts";
import { type AlarmEngine, createAlarmEngine, type Northbound } from "./engine.ts";
import { startOutbox } from "./outbox.ts";
import type { AlarmRepo, OutboxStore } from "./repo.ts";
import { openSqliteAlarmRepo } from "./sqlite_repo.ts";
import { webhookMessage, webhookSender } from "./webhook.ts";

export { alarmRoutes, type AlarmRoutesDeps } from "./routes.ts";
export { type AlarmsConfig, alarmsConfigSchema, defaultAlarmsConfig } from "./config.ts";
export type { AlarmEngine } from "./engine.ts";
export { type AlarmNotification, type AlarmRecord, notificationJson } from "./types.ts";

export interface StartAlarmsDeps {
  readonly store: Store;
  readonly staleAfterMs: number;
  readonly now: () => number;
  readonly log: LogFn;
  readonly signal: AbortSignal;
  /** Where the alarm file goes when `config.path` is not set. */
  readonly defaultPath: string;
  /** Use this repository and outbox instead of the SQLite file (tests). */
  readonly repo?: { repo: AlarmRepo; outbox: OutboxStore };
  /**
   * The collector's JetStream store config: the alarm list is then shared through the key-value
   * bucket `<bucket>_alarms` (collector/alarms/jetstream_repo.ts).
   */
  readonly jetstream?: { servers: readonly string[]; bucket: string; replicas: number; timeout: number; auth?: { token: string } | { user: string; pass: string } };
  /** Name of this collector in shared writes. */
  readonly writer?: string;
}

/** Open the alarm repository and outboxes, start the engine. Stops when `signal` aborts (await `close`). */
export async function startAlarms(config: AlarmsConfig, deps: StartAlarmsDeps): Promise<AlarmEngine> {
  let repo: AlarmRepo, outbox: OutboxStore;
  if (deps.repo) ({ repo, outbox } = deps.repo);
  else if (deps.jetstream) {
    const j = deps.jetstream;
    const { openJetstreamAlarmRepo } = await import("./jetstream_repo.ts");
    ({ repo, outbox } = await openJetstreamAlarmRepo({ ...j, bucket: `${j.bucket}_alarms`, localPath: config.path ?? deps.defaultPath, writer: deps.writer ?? `${crypto.randomUUID()}` }, { log: deps.log }));
  } else {
    const r = await openSqliteAlarmRepo(config.path ?? deps.defaultPath);
    repo = r;
    outbox = r.outbox;
  }
  const ob = { minBackoff: config.outbox.minBackoff, maxBackoff: config.outbox.maxBackoff, maxMessages: config.outbox.maxMessages, log: deps.log, signal: deps.signal };
  const northbound: Northbound[] = [];
  const am = config.alertmanager;
  if (am) northbound.push({ outbox: startOutbox(outbox, alertmanagerSender(am), ob), format: (n, now) => alertmanagerMessages(n, now + 4 * am.resendEvery, am.externalUrl) });
  for (const w of config.webhooks) northbound.push({ outbox: startOutbox(outbox, webhookSender(w), ob), format: (n) => [webhookMessage(n)] });
  if (config.snmp.length) {
    // net-snmp is loaded only when a trap receiver is configured.
    const { snmpTrapSender, snmpMessage } = await import("./snmp_trap.ts");
    for (const s of config.snmp) northbound.push({ outbox: startOutbox(outbox, snmpTrapSender(s), ob), format: (n) => [snmpMessage(n)] });
  }
  // A JetStream store that splits agents between collectors says which are ours (duck-typed, so
  // this folder does not depend on the store's implementation).
  const ownsFn = (deps.store as { owns?: (agentId: string) => boolean }).owns;
  const owns = ownsFn ? (n: string) => ownsFn.call(deps.store, n) : undefined;
  const engine = await createAlarmEngine({ store: deps.store, repo, config, staleAfterMs: deps.staleAfterMs, now: deps.now, log: deps.log, northbound, ...(owns ? { owns } : {}) });
  return engine;
}

/** The default alarm file beside a store file: "/var/lib/edgeprobe/collector.db" → "…/collector-alarms.db". */
export function alarmsPathBeside(storePath: string): string {
  if (storePath === ":memory:") return ":memory:";
  return storePath.replace(/(\.db|\.sqlite3?)?$/, "-alarms.db");
}
