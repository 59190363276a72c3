/**
 * @module The collector's `alarms:` config section (docs/alarms.md lists every field with its default).
 */
import { z } from "zod";
import { duration } from "../../common/duration.ts";

const httpUrl = z.string().regex(/^https?:\/\/[^\s]+$/, "expected an http:// or https:// URL");
const oid = z.string().regex(/^1(\.\d+)+$/, "expected a numeric OID such as 1.3.6.1.4.1.8072.9999.9999.7");

/** NET-SNMP-MIB netSnmpPlaypen (1.3.6.1.4.1.8072.9999.9999) is the arc net-snmp sets aside for
 * experiments; ".7" is ours until the project has its own IANA enterprise number. Configurable. */
export const DEFAULT_ENTERPRISE_OID = "1.3.6.1.4.1.8072.9999.9999.7";

const DEFAULTS = {
  checkEvery: 5_000,
  holdDown: 3_000,
  correlation: { minAgents: 3, window: 60_000 },
  peerRestartWindow: 3_600_000,
  eventClearAfter: 3_600_000,
  history: 400 * 86_400_000,
  outbox: { maxMessages: 100_000, minBackoff: 1_000, maxBackoff: 300_000 },
} as const;

export const alarmsConfigSchema = z.strictObject({
  /**
   * SQLite file of the alarm list, history, maintenance windows and the northbound outbox.
   * @default "<store path>-alarms.db" (":memory:" when the store is in memory)
   */
  path: z.string().min(1).optional(),
  /** How often silent agents, expired event alarms and held notifications are checked. @default 5s */
  checkEvery: duration.default(DEFAULTS.checkEvery),
  /**
   * How long a new probe or node alarm waits before going northbound, so correlation can put it
   * under a root first (an alarm storm becomes one alarm). @default 3s
   */
  holdDown: duration.default(DEFAULTS.holdDown),
  correlation: z.strictObject({
    /** k: agents losing the same peer that make one peer-fault root alarm. @default 3 */
    minAgents: z.number().int().min(2).default(DEFAULTS.correlation.minAgents),
    /** How close together their alarms must be raised. @default 60s */
    window: duration.default(DEFAULTS.correlation.window),
  }).default(DEFAULTS.correlation),
  /** Peer restarts of one probe within this window that repeat make a WARNING. @default 1h */
  peerRestartWindow: duration.default(DEFAULTS.peerRestartWindow),
  /** Event alarms (spool drops, repeated peer restarts) clear after this long without a repeat. @default 1h */
  eventClearAfter: duration.default(DEFAULTS.eventClearAfter),
  /** How long cleared alarms are kept for history and availability. @default 400 days */
  history: duration.default(DEFAULTS.history),
  outbox: z.strictObject({
    /** Most messages kept per receiver while it is down; the oldest go first beyond it. @default 100000 */
    maxMessages: z.number().int().min(100).default(DEFAULTS.outbox.maxMessages),
    /** First retry delay; doubles per failure. @default 1s */
    minBackoff: duration.default(DEFAULTS.outbox.minBackoff),
    /** Longest retry delay. @default 5m */
    maxBackoff: duration.default(DEFAULTS.outbox.maxBackoff),
  }).default(DEFAULTS.outbox),
  /** Prometheus Alertmanager API v2 (collector/alarms/alertmanager.ts). */
  alertmanager: z.strictObject({
    /** Base URLs (each gets every alert, as Prometheus does with several Alertmanagers). */
    urls: z.array(httpUrl).min(1),
    /** Active alarms are re-sent this often (Alertmanager resolves alerts that are not). @default 1m */
    resendEvery: duration.default(60_000),
    /** Link to the collector's dashboard in each alert. @default none */
    externalUrl: httpUrl.optional(),
    timeout: duration.default(5_000),
  }).optional(),
  /** Generic JSON webhooks (collector/alarms/webhook.ts). */
  webhooks: z.array(z.strictObject({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
    url: httpUrl,
    /** Sent as `Authorization: Bearer …`. */
    token: z.string().min(1).optional(),
    timeout: duration.default(5_000),
  })).default([]),
  /** SNMP v2c trap receivers (collector/alarms/snmp_trap.ts). */
  snmp: z.array(z.strictObject({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(162),
    community: z.string().min(1).default("public"),
    enterpriseOid: oid.default(DEFAULT_ENTERPRISE_OID),
    /** trap: fire-and-forget; inform: acknowledged by the receiver and retried until it is. @default "trap" */
    mode: z.enum(["trap", "inform"]).default("trap"),
    /** Inform only: how long to wait for the receiver's answer. @default 5s */
    timeout: duration.default(5_000),
  })).default([]),
});

export type AlarmsConfig = z.infer<typeof alarmsConfigSchema>;

/** The defaults of an absent `alarms:` section. */
export const defaultAlarmsConfig = (): AlarmsConfig => alarmsConfigSchema.parse({});
