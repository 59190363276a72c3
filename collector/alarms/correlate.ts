/**
 * @module Root-cause correlation as a pure function of the active alarms (docs/alarms.md, "Root cause").
 *
 * Three rules, strongest first, so the NOC sees one alarm per cause:
 * 1. **Agent silent**: every other active alarm of a silent agent goes under its agent-silent alarm
 *    (nothing that agent reported can be trusted to still hold).
 * 2. **Local fault**: an agent whose every probe (at least two) turned unhealthy within `windowMs`
 *    has lost its own access, not all its peers at once: one local-fault root on that node.
 * 3. **Peer fault**: when at least `minAgents` agents have the same peer (probe target, or kind
 *    and probe name when the agent did not say) unhealthy, raised within `windowMs` of each other,
 *    one peer-fault root stands for the peer and the agents' probe alarms go under it. It stays
 *    while any of them is active.
 * A node-verdict alarm follows its causes: when every probe it names is under one root, so is it.
 */
import type { ProbeMeta } from "../../telemetry/record.ts";
import { keys } from "./mapping.ts";
import type { AlarmRecord, Condition } from "./types.ts";

export interface CorrelationOptions {
  /** Agents losing the same peer that make a peer fault (k). */
  readonly minAgents: number;
  /** How close together the alarms must be raised to form a root (ms). */
  readonly windowMs: number;
}

export interface CorrelationResult {
  /** Root conditions that should be raised (peer-fault, local-fault). */
  readonly roots: readonly Condition[];
  /** alarmId → key of the root (or agent-silent) condition it goes under; absent: top level. */
  readonly parentKey: ReadonlyMap<string, string>;
}

/** The peer a probe alarm is about: its target, or "kind/probe" when the target is unknown. */
export function peerOf(a: AlarmRecord, meta?: ProbeMeta): string {
  return a.target ?? (meta ? `${meta.kind}/${a.probe}` : `probe/${a.probe}`);
}

/**
 * @param active alarms not cleared
 * @param probesOf the probes an agent runs (its inventory), for the local-fault rule
 * @param existingRoots keys of root alarms already raised (a root is kept while it has members)
 */
export function correlate(
  active: readonly AlarmRecord[],
  probesOf: (node: string) => readonly ProbeMeta[] | undefined,
  existingRoots: ReadonlySet<string>,
  options: CorrelationOptions,
): CorrelationResult {
  const parentKey = new Map<string, string>();
  const roots: Condition[] = [];
  const silent = new Set<string>();
  const probeAlarms = new Map<string, AlarmRecord[]>();
  for (const a of active) {
    if (a.kind === "agent-silent" && a.node) silent.add(a.node);
    if (a.kind === "probe-unhealthy" && a.node) {
      let l = probeAlarms.get(a.node);
      if (!l) probeAlarms.set(a.node, l = []);
      l.push(a);
    }
  }

  // Rule 2: local fault.
  const local = new Set<string>();
  for (const [node, list] of probeAlarms) {
    if (silent.has(node)) continue;
    const probes = probesOf(node);
    const total = probes?.length ?? 0;
    const key = keys.local(node);
    const spread = Math.max(...list.map((a) => a.alarmRaisedTime)) - Math.min(...list.map((a) => a.alarmRaisedTime));
    const allDown = total >= 2 && list.length >= total;
    if (!(allDown && (spread <= options.windowMs || existingRoots.has(key)))) continue;
    local.add(node);
    const kinds = countBy(list.map((a) => a.probableCause));
    roots.push({
      key,
      kind: "local-fault",
      node,
      objectInstance: `node=${node}`,
      alarmType: "COMMUNICATIONS_ALARM",
      probableCause: "LOCAL_NODE_TRANSMISSION_ERROR",
      specificProblem: `local fault: all ${total} probes of ${node} unhealthy (${kinds})`,
      severity: "CRITICAL",
    });
    for (const a of list) parentKey.set(a.alarmId, key);
  }

  // Rule 3: peer fault.
  const byPeer = new Map<string, AlarmRecord[]>();
  for (const [node, list] of probeAlarms) {
    if (silent.has(node) || local.has(node)) continue;
    for (const a of list) {
      const meta = probesOf(node)?.find((p) => p.name === a.probe);
      const peer = peerOf(a, meta);
      let l = byPeer.get(peer);
      if (!l) byPeer.set(peer, l = []);
      l.push(a);
    }
  }
  for (const [peer, list] of byPeer) {
    const key = keys.peer(peer);
    const nodes = new Set(list.map((a) => a.node));
    let formed = existingRoots.has(key) && list.length > 0;
    if (!formed && nodes.size >= options.minAgents) {
      // Some window of `windowMs` holds alarms of at least minAgents distinct agents.
      const sorted = [...list].sort((x, y) => x.alarmRaisedTime - y.alarmRaisedTime);
      for (let i = 0, j = 0; j < sorted.length && !formed; j++) {
        while (sorted[j].alarmRaisedTime - sorted[i].alarmRaisedTime > options.windowMs) i++;
        formed = new Set(sorted.slice(i, j + 1).map((a) => a.node)).size >= options.minAgents;
      }
    }
    if (!formed) continue;
    const ifaces = [...new Set(list.map((a) => a.interface).filter(Boolean))];
    roots.push({
      key,
      kind: "peer-fault",
      ...(list[0].target ? { target: list[0].target } : {}),
      ...(ifaces.length === 1 ? { interface: ifaces[0] } : {}),
      objectInstance: `peer=${peer}${ifaces.length === 1 ? `,interface=${ifaces[0]}` : ""}`,
      alarmType: "COMMUNICATIONS_ALARM",
      probableCause: mostCommon(list.map((a) => a.probableCause)),
      specificProblem: `peer ${peer} lost by ${nodes.size} agents (${countBy(list.map((a) => a.probableCause))})`,
      severity: "CRITICAL",
    });
    for (const a of list) parentKey.set(a.alarmId, key);
  }

  // Node verdicts follow their causes.
  for (const a of active) {
    if (a.kind !== "node-verdict" || !a.node || silent.has(a.node)) continue;
    const under = new Set<string>();
    for (const p of a.causes ?? []) {
      const child = probeAlarms.get(a.node)?.find((x) => x.probe === p);
      under.add(child ? parentKey.get(child.alarmId) ?? "" : "");
    }
    if (under.size === 1 && !under.has("")) parentKey.set(a.alarmId, [...under][0]);
  }

  // Rule 1: everything of a silent agent goes under its agent-silent alarm.
  for (const a of active) {
    if (a.node && silent.has(a.node) && a.kind !== "agent-silent") parentKey.set(a.alarmId, keys.silent(a.node));
  }
  return { roots, parentKey };
}

function countBy(values: readonly string[]): string {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return [...m].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n}× ${k}`).join(", ");
}

function mostCommon(values: readonly string[]): string {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return [...m].sort((a, b) => b[1] - a[1])[0]?.[0] ?? "INDETERMINATE";
}
