/**
 * A synthetic agent for the fault tests: an uplink fed with probe-result events at a fixed rate.
 * Each record carries its logical index in facts.i, printed as "appended <i>" once spooled.
 *
 * bun tests/telemetry/uplink_driver.ts '{"collector":"http://127.0.0.1:23101","token":"…","spool":"/tmp/x",
 *   "agentId":"a1","from":1,"count":200,"ratePerSec":50}'
 * Prints "drained" when every record was acknowledged; exits 0 on SIGTERM after uplink.close().
 */
import { createUplink } from "../../agent/uplink.ts";
import { telemetrySchema } from "../../telemetry/telemetry_config.ts";
import { systemClock } from "../../runtime/clock.ts";
import { createLogger } from "../../common/log.ts";

const args = JSON.parse(process.argv[2]) as { collector: string; token: string; spool: string; agentId: string; from: number; count: number; ratePerSec: number; batch?: number };
const config = telemetrySchema.parse({
  collector: args.collector, token: args.token, spool: { dir: args.spool, maxBytes: "8MiB" },
  batch: { maxRecords: args.batch ?? 50, interval: "100ms" }, backoff: { initial: "100ms", max: "1s" }, requestTimeout: "2s",
});
const ac = new AbortController();
const log = createLogger((l) => process.stderr.write(l), "warn", { agent: args.agentId });
const uplink = await createUplink(config, { agentId: args.agentId, labels: { test: "fault" }, clock: systemClock, log, signal: ac.signal });
process.on("SIGTERM", async () => {
  await uplink.close(AbortSignal.timeout(2000));
  ac.abort();
  process.exit(0);
});
const out = (s: string) => process.stdout.write(s + "\n");
out(`boot ${uplink.stats().bootId}`);
let i = args.from;
const end = args.from + args.count;
const tick = setInterval(() => {
  if (i >= end) {
    clearInterval(tick);
    const check = setInterval(() => {
      if (uplink.stats().spool.records === 0) {
        clearInterval(check);
        out("drained");
      }
    }, 50);
    return;
  }
  uplink.emit({ type: "probe-result", probe: `p${i % 3}`, kind: "tcp", result: { ok: true, startedAt: Date.now(), latencyMs: 1 + (i % 50) / 10, facts: { i } } });
  out(`appended ${i}`);
  i++;
}, 1000 / args.ratePerSec);
