/**
 * @module How the agent CLI and the demo reach the telemetry uplink and the collector: kept in one
 * place so cli/agent.ts stays about the agent.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { AgentDeps } from "../agent/agent.ts";
import { formatIssues } from "../common/zod_issues.ts";
import type { DemoDeps } from "../demo/start_demo.ts";
import { telemetrySchema } from "../telemetry/telemetry_config.ts";

export interface TelemetryHooks {
  validate: (raw: Record<string, unknown>) => string[];
  createUplink: NonNullable<AgentDeps["createUplink"]>;
  startDemoCollector: NonNullable<DemoDeps["startCollector"]>;
}

export const telemetryHooks: TelemetryHooks = {
  validate(raw) {
    const r = telemetrySchema.safeParse(raw);
    return r.success ? [] : formatIssues(r.error, raw, ["telemetry"]);
  },
  async createUplink(config, ctx) {
    // Loaded only when the config has a telemetry section (the CBOR codec, spool, HTTP clients).
    const [{ createUplink }, { renderUplinkMetrics }] = await Promise.all([import("../agent/uplink.ts"), import("../agent/uplink_metrics.ts")]);
    const stop = new AbortController();
    const uplink = await createUplink(telemetrySchema.parse(config.telemetry), {
      agentId: config.agent.id,
      labels: config.agent.labels,
      bootId: ctx.bootId,
      clock: ctx.clock,
      log: ctx.log,
      signal: stop.signal,
    });
    return {
      emit: (e) => uplink.emit(e),
      stats: () => uplink.stats(),
      metrics: () => renderUplinkMetrics(uplink.stats()),
      async close(signal) {
        try {
          await uplink.close(signal);
        } finally {
          stop.abort(new DOMException("agent stopped", "AbortError"));
        }
      },
    };
  },
  async startDemoCollector(ports, token, dir) {
    // Loaded here, not at the top: the agent process never needs the collector (RSS, start time).
    const [{ parseCollectorConfig, startCollector }, { hashPassword }, { randomBytes }] = await Promise.all([import("../collector/mod.ts"), import("../collector/auth/mod.ts"), import("node:crypto")]);
    const stop = new AbortController();
    // The read side is closed without credentials: a viewer with a fresh password, printed once.
    const login = { user: "noc", password: randomBytes(12).toString("base64url") };
    const config = parseCollectorConfig({
      listen: `127.0.0.1:${ports.collector}`,
      auth: { sharedToken: token, users: { [login.user]: { role: "viewer", passwordHash: await hashPassword(login.password) } } },
      store: { path: join(dir, "collector.db") },
      staleAfter: "30s",
    }, {}, "demo");
    mkdirSync(dir, { recursive: true });
    const running = await startCollector(config, { signal: stop.signal, log: () => {} });
    return {
      url: running.url,
      login,
      async close() {
        stop.abort();
        await running.finished;
      },
    };
  },
};
