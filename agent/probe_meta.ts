/** @module probeMeta(): what the collector's alarms need of each configured probe (docs/alarms.md). */
import type { ProbeConfig } from "./config.ts";
import type { ProbeMetaEvent } from "./events.ts";

/** The peer, criticality and 3GPP interface of every probe, sent with agent-start and config-reload. */
export function probeMeta(probes: readonly ProbeConfig[]): ProbeMetaEvent[] {
  return probes.map((p) => ({ name: p.name, kind: p.kind, target: p.target, critical: p.critical, ...(p.interface ? { interface: p.interface } : {}) }));
}
