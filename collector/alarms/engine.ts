/**
 * @module The alarm engine: feeds the store's change feed through the mapping (mapping.ts) into the
 * alarm list (alarm_list.ts), correlates (correlate.ts), persists every change (repo.ts) before
 * publishing it to live listeners (SSE) and to the northbound outboxes.
 *
 * Work is serialised on one promise chain, so events of a node are applied in order. A periodic
 * check (`checkEvery`) finds silent agents, expires event alarms, sends held notifications and
 * re-sends active alarms to Alertmanager. Northbound rules (docs/alarms.md, "Northbound"): an alarm
 * raised in a maintenance window, or correlated under a root, is never sent; new probe and node
 * alarms wait `holdDown` so correlation can put them under a root first; once an alarm's raise was
 * sent, its changes and its clear are sent too.
 */
import type { LogFn } from "../../common/log.ts";
import type { ProbeMeta } from "../../telemetry/record.ts";
import type { FleetChange, Store } from "../store.ts";
import { AlarmList } from "./alarm_list.ts";
import { alertmanagerMessages, postAlerts, toAlert } from "./alertmanager.ts";
import type { AlarmsConfig } from "./config.ts";
import { correlate } from "./correlate.ts";
import { activeWindows, type MaintenanceWindow } from "./maintenance.ts";
import { type Action, type AlarmInput, keys, mapEvent } from "./mapping.ts";
import type { Outbox } from "./outbox.ts";
import type { AlarmRepo } from "./repo.ts";
import { type AlarmNotification, type AlarmRecord, SEVERITIES, type Severity } from "./types.ts";
import { sleep } from "../../common/abortable.ts";

/** A northbound receiver: its outbox and how a notification becomes its messages. */
export interface Northbound {
  readonly outbox: Outbox;
  readonly format: (n: AlarmNotification, now: number) => string[];
}

export interface AlarmEngineDeps {
  readonly store: Store;
  readonly repo: AlarmRepo;
  readonly config: AlarmsConfig;
  readonly staleAfterMs: number;
  readonly now: () => number;
  readonly log: LogFn;
  readonly northbound?: readonly Northbound[];
  readonly newId?: () => string;
  /**
   * Whether this collector processes a node's events (JetStream mode: the owner of its partition).
   * Alarms of other nodes arrive through the repository's watch. @default every node
   */
  readonly owns?: (node: string) => boolean;
}

export interface AlarmFilter {
  readonly severity?: readonly Severity[];
  readonly node?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** active: not cleared; cleared: cleared, awaiting acknowledgement; all (default). */
  readonly state?: "active" | "cleared" | "all";
  readonly ack?: "ACKNOWLEDGED" | "UNACKNOWLEDGED";
  /** Only alarms not correlated under a root (the NOC's default view). */
  readonly root?: boolean;
  readonly limit?: number;
}

export interface AlarmEngine {
  list(f: AlarmFilter): { alarms: AlarmRecord[]; total: number; counts: Record<Severity, number> };
  get(alarmId: string): AlarmRecord | undefined;
  setAck(alarmId: string, ack: boolean, user: string): Promise<AlarmRecord | undefined>;
  clear(alarmId: string, user: string): Promise<AlarmRecord | undefined>;
  history(q: { node?: string; from: number; to: number; limit: number }): Promise<AlarmRecord[]>;
  maintenance(): readonly MaintenanceWindow[];
  addMaintenance(w: MaintenanceWindow): Promise<void>;
  deleteMaintenance(id: string): Promise<boolean>;
  labelsOf(node: string): Readonly<Record<string, string>>;
  probesOf(node: string): readonly ProbeMeta[] | undefined;
  /** Live notifications (SSE). Returns the unsubscribe function. */
  subscribe(l: (n: AlarmNotification) => void): () => void;
  /** Run the periodic check now (tests). */
  check(): Promise<void>;
  /** Resolves when queued work is done (tests). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** Probes kept per agent inventory (the collector's default limits.maxProbesPerAgent): a hostile agent-start cannot grow memory beyond it. */
export const MAX_INVENTORY = 1000;

const HOLDABLE = new Set(["probe-unhealthy", "node-verdict"]);
const ROOT_KINDS = new Set(["peer-fault", "local-fault"]);
const RANK: Record<Severity, number> = { CRITICAL: 0, MAJOR: 1, MINOR: 2, WARNING: 3, INDETERMINATE: 4, CLEARED: 5 };

export async function createAlarmEngine(deps: AlarmEngineDeps): Promise<AlarmEngine> {
  const { store, repo, config, log } = deps;
  const owns = deps.owns ?? (() => true);
  const loaded = await repo.load();
  const labels = new Map<string, Readonly<Record<string, string>>>();
  const inventory = new Map<string, ProbeMeta[]>(loaded.inventory);
  let windows: MaintenanceWindow[] = loaded.maintenance;
  const list = new AlarmList({ newId: deps.newId ?? (() => crypto.randomUUID()), labelsOf: (n) => labels.get(n) ?? {} }, loaded.alarms);
  const listeners = new Set<(n: AlarmNotification) => void>();
  const restarts = new Map<string, number[]>();
  const expiry = new Map<string, number>();
  const held = new Map<string, number>();
  const northbound = deps.northbound ?? [];
  const startedAt = deps.now();
  let chain: Promise<void> = Promise.resolve();
  let correlateTimer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  let lastPrune = 0;
  // Raises that had not gone northbound when the collector stopped go after the hold-down.
  for (const a of list.all()) {
    if (a.perceivedSeverity !== "CLEARED" && !a.sentNorthbound && !a.parentAlarmId && !a.maintenance) held.set(a.alarmId, startedAt + config.holdDown);
  }

  const run = (f: () => Promise<void> | void): Promise<void> => {
    const p = chain.then(f).catch((e) => log("warn", "alarms: cannot process", { error: (e as Error).message }));
    chain = p;
    return p;
  };

  const inMaintenance = (node: string | undefined, at: number) => node !== undefined && activeWindows(windows, node, labels.get(node) ?? {}, at).length > 0;

  const sendNorthbound = (n: AlarmNotification, at: number) => {
    for (const nb of northbound) {
      try {
        nb.outbox.enqueue(nb.format(n, at));
      } catch (e) {
        log("warn", "alarms: cannot queue a northbound message", { error: (e as Error).message });
      }
    }
  };

  const persist = async (alarms: Iterable<AlarmRecord>) => {
    const byId = new Map<string, AlarmRecord>();
    for (const a of alarms) byId.set(a.alarmId, list.get(a.alarmId) ?? a);
    if (byId.size) await repo.saveAlarms([...byId.values()]);
  };

  /** Persist, then tell listeners and northbound. */
  const publish = async (notes: AlarmNotification[], at: number) => {
    if (notes.length === 0) return;
    await persist(notes.map((n) => n.alarm));
    for (const n of notes) {
      for (const l of listeners) {
        try {
          l(n);
        } catch {
          // a listener's failure must not stop the others
        }
      }
    }
    if (northbound.length === 0) return;
    const sent: AlarmRecord[] = [];
    for (const n of notes) {
      const a = n.alarm;
      const cur = list.get(a.alarmId) ?? a;
      if (n.notificationType === "notifyNewAlarm") {
        if (a.maintenance || inMaintenance(a.node, at)) continue;
        if (HOLDABLE.has(a.kind) && config.holdDown > 0) held.set(a.alarmId, at + config.holdDown);
        else if (!cur.parentAlarmId) {
          sendNorthbound(n, at);
          const m = list.markSent(a.alarmId);
          if (m) sent.push(m);
        }
      } else if (n.notificationType === "notifyClearedAlarm") {
        held.delete(a.alarmId);
        if (cur.sentNorthbound) sendNorthbound(n, at);
      } else if (cur.sentNorthbound && !inMaintenance(a.node, at)) {
        sendNorthbound(n, at);
      }
    }
    await persist(sent);
  };

  const flushHeld = async (at: number) => {
    const sent: AlarmRecord[] = [];
    for (const [id, due] of held) {
      if (due > at) continue;
      held.delete(id);
      const a = list.get(id);
      if (!a || a.perceivedSeverity === "CLEARED" || a.parentAlarmId || a.sentNorthbound || a.maintenance) continue;
      sendNorthbound({ notificationId: a.notificationId, notificationType: "notifyNewAlarm", eventTime: a.alarmChangedTime ?? a.alarmRaisedTime, alarm: a }, at);
      const m = list.markSent(id);
      if (m) sent.push(m);
    }
    await persist(sent);
  };

  const apply = async (actions: readonly Action[], at: number) => {
    const notes: AlarmNotification[] = [];
    for (const a of actions) {
      if (a.op === "raise") notes.push(...list.raise(a.condition, at, { maintenance: inMaintenance(a.condition.node, at) }));
      else notes.push(...list.clear(a.key, at));
    }
    await publish(notes, at);
    if (notes.length) scheduleCorrelation();
  };

  const runCorrelation = async () => {
    const at = deps.now();
    const active = list.all().filter((a) => a.perceivedSeverity !== "CLEARED");
    const existingRoots = new Set(active.filter((a) => ROOT_KINDS.has(a.kind)).map((a) => a.key));
    const r = correlate(active, (n) => inventory.get(n), existingRoots, { minAgents: config.correlation.minAgents, windowMs: config.correlation.window });
    const notes: AlarmNotification[] = [];
    const wanted = new Set(r.roots.map((c) => c.key));
    // A root is raised by the owner of its node, or of its first member node (peer faults), so
    // collectors sharing the list raise it once.
    const rootOwner = (key: string) => {
      const members = active.filter((a) => r.parentKey.get(a.alarmId) === key && a.node).map((a) => a.node!).sort();
      return members.length === 0 || owns(members[0]);
    };
    for (const c of r.roots) if (list.active(c.key) || (c.node ? owns(c.node) : rootOwner(c.key))) notes.push(...list.raise(c, at, { maintenance: c.node !== undefined && inMaintenance(c.node, at) }));
    for (const a of active) if (ROOT_KINDS.has(a.kind) && !wanted.has(a.key)) notes.push(...list.clear(a.key, at));
    const parents = new Map<string, string | undefined>();
    for (const a of list.all()) {
      if (a.perceivedSeverity === "CLEARED" || (a.node !== undefined && !owns(a.node))) continue;
      const key = r.parentKey.get(a.alarmId);
      const parent = key === undefined ? undefined : list.active(key)?.alarmId;
      if (parent !== a.parentAlarmId) parents.set(a.alarmId, parent);
    }
    const before = new Map([...parents.keys()].map((id) => [id, list.get(id)!.parentAlarmId]));
    // A root raised in this pass goes out once, already carrying its correlated list.
    for (const c of list.setParents(parents, at)) {
      const i = notes.findIndex((n) => n.notificationType === "notifyNewAlarm" && n.alarm.alarmId === c.alarm.alarmId);
      if (i >= 0) notes[i] = { ...notes[i], notificationId: c.notificationId, alarm: c.alarm };
      else notes.push(c);
    }
    await persist([...parents.keys()].map((id) => list.get(id)!).filter(Boolean));
    // An alarm that left its root and was never sent goes northbound now (after hold-down).
    for (const [id, was] of before) {
      const a = list.get(id);
      if (was && a && !a.parentAlarmId && !a.sentNorthbound && a.perceivedSeverity !== "CLEARED") held.set(id, at);
    }
    await publish(notes, at);
  };

  const scheduleCorrelation = () => {
    if (correlateTimer !== undefined || closed) return;
    // Coalesce a burst of events (a peer dying takes many agents' batches) into one pass.
    correlateTimer = setTimeout(() => {
      correlateTimer = undefined;
      void run(runCorrelation);
    }, 100);
  };

  const failureOf = async (node: string, probe: string) => {
    const d = await store.node(node, deps.now());
    return d?.probeList.find((p) => p.name === probe)?.last?.failure;
  };

  const onChange = (c: FleetChange) => {
    if (c.type === "node") {
      labels.set(c.node.id, c.node.labels);
      return;
    }
    if (c.type !== "event" || !owns(c.node)) return;
    const ev = c.event, node = c.node, at = ev.at, d = ev.detail as Record<string, unknown>;
    void run(async () => {
      const inputs: AlarmInput[] = [];
      if (list.active(keys.silent(node))) inputs.push({ type: "seen", node, at: deps.now() });
      switch (ev.type) {
        case "state": {
          const to = d.to as "unknown" | "healthy" | "unhealthy";
          const failure = to === "unhealthy" ? await failureOf(node, ev.probe!) : undefined;
          inputs.push({ type: "state", node, at, probe: ev.probe!, to, ...(failure ? { failure } : {}) });
          break;
        }
        case "verdict":
          inputs.push({ type: "verdict", node, at, to: d.to as "UP", causes: (d.causes as string[]) ?? [] });
          break;
        case "peer-restart": {
          const k = keys.restart(node, ev.probe!);
          const times = (restarts.get(k) ?? []).filter((t) => t > at - config.peerRestartWindow);
          times.push(at);
          restarts.set(k, times);
          if (times.length >= 2) expiry.set(k, at + config.eventClearAfter);
          inputs.push({ type: "peer-restart", node, at, probe: ev.probe!, detail: (d.detail as Record<string, unknown>) ?? {}, recent: times.length });
          break;
        }
        case "spool-drop":
          expiry.set(keys.spool(node), at + config.eventClearAfter);
          inputs.push({ type: "spool-drop", node, at, records: Number(d.records), bytes: Number(d.bytes) });
          break;
        case "agent-start":
          if (d.labels && typeof d.labels === "object") labels.set(node, d.labels as Record<string, string>);
          if (Array.isArray(d.probes)) {
            const probes = (d.probes as ProbeMeta[]).slice(0, MAX_INVENTORY);
            inventory.set(node, probes);
            await repo.saveInventory(node, probes);
          }
          inputs.push({ type: "agent-start", node, at });
          break;
        case "config-reload":
          if (Array.isArray(d.probes)) {
            const probes = (d.probes as ProbeMeta[]).slice(0, MAX_INVENTORY);
            inventory.set(node, probes);
            await repo.saveInventory(node, probes);
          }
          break;
        case "agent-stop":
          inputs.push({ type: "agent-stop", node, at, reason: String(d.reason ?? "") });
          break;
      }
      const actions: Action[] = [];
      for (const i of inputs) actions.push(...mapEvent(i, "probe" in i ? inventory.get(node)?.find((p) => p.name === i.probe) : undefined));
      await apply(actions, at);
    });
  };
  const unsubscribe = store.subscribe(onChange);
  // JetStream mode: alarms and maintenance windows written by the other collectors.
  const unwatch = repo.watch?.(
    (a) =>
      void run(() => {
        const n = list.adopt(a);
        if (!n) return;
        for (const l of listeners) {
          try {
            l(n);
          } catch {
            // as in publish
          }
        }
        scheduleCorrelation();
      }),
    (w) =>
      void run(() => {
        windows = "deleted" in w ? windows.filter((x) => x.id !== w.id) : [...windows.filter((x) => x.id !== w.id), w];
      }),
  );

  const check = () =>
    run(async () => {
      const at = deps.now();
      const actions: Action[] = [];
      // After a collector restart every agent looks silent until it reconnects: wait one staleAfter.
      if (at - startedAt >= deps.staleAfterMs) {
        for (const n of await store.fleet(at)) {
          labels.set(n.id, n.labels);
          if (!owns(n.id)) continue;
          const silentFor = at - n.lastSeen;
          const alarm = list.active(keys.silent(n.id));
          if (n.running && silentFor > deps.staleAfterMs && !alarm) actions.push(...mapEvent({ type: "silent", node: n.id, at, lastSeen: n.lastSeen }));
          else if (alarm && silentFor <= deps.staleAfterMs) actions.push(...mapEvent({ type: "seen", node: n.id, at }));
        }
      }
      for (const [key, t] of expiry) {
        if (t > at) continue;
        expiry.delete(key);
        actions.push({ op: "clear", key });
      }
      await apply(actions, at);
      await flushHeld(at);
      if (at - lastPrune >= 3_600_000) {
        lastPrune = at;
        const n = await repo.prune(at - config.history);
        if (n > 0) log("info", "alarms: history pruned", { alarms: n });
      }
    });
  const timer = setInterval(() => void check(), config.checkEvery);
  (timer as { unref?: () => void }).unref?.();

  // Alertmanager forgets alerts that are not re-sent (resolve_timeout, or our endsAt): re-send the
  // active ones, like Prometheus does every evaluation.
  const am = config.alertmanager;
  let amTimer: ReturnType<typeof setInterval> | undefined;
  if (am) {
    amTimer = setInterval(() => {
      const at = deps.now();
      const alerts = list.all().filter((a) => a.perceivedSeverity !== "CLEARED" && a.sentNorthbound && !a.maintenance)
        .map((a) => JSON.stringify(toAlert(a, a.perceivedSeverity, at + 4 * am.resendEvery, am.externalUrl)));
      if (alerts.length) postAlerts(am, alerts, AbortSignal.timeout(am.timeout)).catch((e) => log("debug", "alarms: Alertmanager re-send failed; next period retries", { error: (e as Error).message }));
    }, am.resendEvery);
    (amTimer as { unref?: () => void }).unref?.();
  }

  const operator = <T>(f: (at: number) => AlarmNotification[], pick: () => T): Promise<T> =>
    run(async () => {
      const at = deps.now();
      const notes = f(at);
      await publish(notes, at);
      if (notes.length) scheduleCorrelation();
    }).then(pick);

  return {
    list(f) {
      const all = list.all();
      const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
      const out: AlarmRecord[] = [];
      for (const a of all) {
        if (f.node && a.node !== f.node) continue;
        if (f.labels && !Object.entries(f.labels).every(([k, v]) => a.labels[k] === v)) continue;
        if (f.state === "active" && a.perceivedSeverity === "CLEARED") continue;
        if (f.state === "cleared" && a.perceivedSeverity !== "CLEARED") continue;
        if (f.ack && a.ackState !== f.ack) continue;
        if (f.root && a.parentAlarmId) continue;
        counts[a.perceivedSeverity]++;
        if (f.severity && !f.severity.includes(a.perceivedSeverity)) continue;
        out.push(a);
      }
      out.sort((x, y) => RANK[x.perceivedSeverity] - RANK[y.perceivedSeverity] || y.alarmRaisedTime - x.alarmRaisedTime);
      return { alarms: out.slice(0, f.limit ?? 1000), total: out.length, counts };
    },
    get: (id) => list.get(id),
    setAck: (id, ack, user) => {
      let changed: AlarmRecord | undefined;
      return operator((at) => {
        const notes = list.setAck(id, ack, user, at);
        changed = notes[0]?.alarm;
        return notes;
      }, () => list.get(id) ?? changed);
    },
    clear: (id, user) => {
      let cleared: AlarmRecord | undefined;
      return operator((at) => {
        const notes = list.clearById(id, at, user);
        cleared = notes[0]?.alarm;
        return notes;
      }, () => list.get(id) ?? cleared);
    },
    history: (q) => repo.history(q),
    maintenance: () => windows,
    addMaintenance: (w) =>
      run(async () => {
        await repo.saveMaintenance(w);
        windows = [...windows.filter((x) => x.id !== w.id), w];
      }),
    deleteMaintenance: async (id) => {
      let ok = false;
      await run(async () => {
        ok = await repo.deleteMaintenance(id);
        windows = windows.filter((x) => x.id !== id);
      });
      return ok;
    },
    labelsOf: (n) => labels.get(n) ?? {},
    probesOf: (n) => inventory.get(n),
    subscribe(l) {
      listeners.add(l);
      return () => void listeners.delete(l);
    },
    check,
    async idle() {
      // Correlation is scheduled by the work it follows: wait until both settle.
      for (let i = 0; i < 50; i++) {
        await chain;
        if (correlateTimer === undefined) return;
        await sleep(110);
      }
    },
    async close() {
      closed = true;
      unsubscribe();
      unwatch?.();
      clearInterval(timer);
      if (amTimer) clearInterval(amTimer);
      if (correlateTimer) clearTimeout(correlateTimer);
      await chain;
      await repo.close();
    },
  };
}
