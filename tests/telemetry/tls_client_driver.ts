/**
 * Runs an uplink with `telemetry.tls` under whichever runtime starts it (the TLS test starts it
 * under Deno to cover runtime/tls_fetch.ts's Deno.createHttpClient path) and prints its stats.
 *   deno run -A tests/telemetry/tls_client_driver.ts '{"collector":…,"token":…,"spool":…,"tls":{…}}'
 */
import { createUplink } from "../../agent/uplink.ts";
import { telemetrySchema } from "../../telemetry/telemetry_config.ts";
import { systemClock } from "../../runtime/clock.ts";

const args = JSON.parse(process.argv[2]) as { collector: string; token: string; spool: string; tls: { ca?: string; cert?: string; key?: string } };
const config = telemetrySchema.parse({ collector: args.collector, token: args.token, spool: { dir: args.spool, maxBytes: "1MiB" }, batch: { interval: "20ms" }, backoff: { initial: "50ms", max: "200ms" }, tls: args.tls });
const ac = new AbortController();
const up = await createUplink(config, { agentId: "tls-client", labels: {}, clock: systemClock, log: () => {}, signal: ac.signal });
for (let i = 0; i < 10; i++) up.emit({ type: "probe-result", probe: "n4", kind: "pfcp", result: { ok: true, startedAt: Date.now(), latencyMs: 1 } });
const end = Date.now() + 3000;
while (Date.now() < end && up.stats().lastAck?.seq !== 10) await new Promise((r) => setTimeout(r, 20));
const st = up.stats();
process.stdout.write(JSON.stringify({ acked: st.lastAck?.seq ?? 0, state: st.state, error: st.lastError ?? null }) + "\n");
await up.close(AbortSignal.timeout(500));
ac.abort();
process.exit(0);
