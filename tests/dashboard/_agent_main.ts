/**
 * `bun tests/dashboard/_agent_main.ts agent --config FILE`: the real agent CLI (cli/main.ts) with
 * the telemetry uplink plugged into cli/telemetry_hooks.ts when this build has not plugged it in
 * yet. Once cli/telemetry_hooks.ts provides createUplink, this is exactly `bun cli/main.ts`.
 */
import { main } from "../../cli/main.ts";
import { telemetryHooks } from "../../cli/telemetry_hooks.ts";
import { createUplink } from "../../agent/uplink.ts";
import { telemetrySchema } from "../../telemetry/telemetry_config.ts";

if (!telemetryHooks.createUplink) {
  telemetryHooks.validate = (raw) => {
    const r = telemetrySchema.safeParse(raw);
    return r.success ? [] : r.error.issues.map((i) => `telemetry.${i.path.join(".")}: ${i.message}`);
  };
  const forever = new AbortController();
  telemetryHooks.createUplink = (cfg, ctx) =>
    createUplink(telemetrySchema.parse(cfg.telemetry), {
      agentId: cfg.agent.id!,
      labels: cfg.agent.labels,
      bootId: ctx.bootId.replaceAll("-", ""),
      clock: ctx.clock,
      log: ctx.log,
      signal: forever.signal,
    });
}

process.exit(await main(process.argv.slice(2)));
