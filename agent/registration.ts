/**
 * @module The agent registering itself in etcd (docs/config.md `registration.etcd`): a key bound to
 * a lease, rewritten with the verdict summary, so a dead agent's key vanishes. The lease protocol
 * lives with the etcd client in probes/etcd/; this module is the agent's side of it.
 */
import { startRegistration } from "../probes/etcd/mod.ts";
import type { LogFn } from "../common/log.ts";
import type { AgentConfig } from "./config.ts";

export interface SelfRegistration {
  /** Stop refreshing and revoke the lease; resolves when done (bounded by the etcd client). */
  stop(): Promise<void>;
}

/** Starts nothing when the config has no `registration.etcd`. */
export function startSelfRegistration(config: AgentConfig, summary: () => unknown, log: LogFn): SelfRegistration {
  const reg = config.registration?.etcd;
  if (!reg) return { stop: () => Promise.resolve() };
  const controller = new AbortController();
  const registration = startRegistration({
    endpoints: reg.endpoints,
    agentId: config.agent.id,
    ttlSeconds: Math.round(reg.ttl / 1000),
    prefix: reg.prefix,
    username: reg.username,
    password: reg.password,
    tls: reg.tls,
    summary,
    log,
    signal: controller.signal,
  });
  return {
    stop() {
      controller.abort(new DOMException("agent stopping", "AbortError"));
      return registration.stopped;
    },
  };
}
