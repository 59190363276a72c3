/** @module `edgeprobe demo`: everything on loopback, dashboard URL printed, Ctrl-C stops it. */
import { startDemo } from "../demo/start_demo.ts";
import { createLogger } from "../common/log.ts";
import { systemClock } from "../runtime/clock.ts";
import { runtimeVersion } from "../runtime/detect.ts";
import { nodeNet } from "../runtime/node_net.ts";
import { parseArgs } from "./args.ts";
import type { CommandIO } from "./io.ts";
import { telemetryHooks } from "./telemetry_hooks.ts";
import { buildTarget, VERSION } from "./version.ts";
import { restoreJit } from "../runtime/jit_policy.ts";

export const DEMO_USAGE = `Usage: edgeprobe demo [--port-base N] [--verbose]

Starts a collector, three agents and a responder for every protocol on loopback, prints the
dashboard URL, and runs until Ctrl-C. The GTP-U responder dies and comes back every 30 s and
the PFCP peer restarts every 45 s, so the fleet is visibly live.

Options:
  --port-base N   shift every port by N (collector 9400+N, agents 8081-8083+N)
  --verbose       log every probe state change
`;

export async function demoCommand(argv: readonly string[], io: CommandIO): Promise<number> {
  // The demo runs a collector in this process (runtime/jit_policy.ts).
  restoreJit();
  const { flags } = parseArgs(argv);
  if (flags.help || flags.h) {
    io.out(DEMO_USAGE);
    return 0;
  }
  const portBase = flags.portBase === undefined ? 0 : Number(flags.portBase);
  if (!Number.isInteger(portBase) || portBase < 0 || portBase > 40000) {
    io.err(`Cannot start demo: --port-base: expected an integer 0-40000, got ${JSON.stringify(flags.portBase)}\n`);
    return 2;
  }
  const log = createLogger((l) => io.err(l), flags.verbose ? "info" : "warn");
  let demo;
  try {
    demo = await startDemo({
      clock: systemClock,
      net: nodeNet,
      log,
      version: VERSION,
      runtime: runtimeVersion(),
      target: buildTarget(),
      portBase,
      startCollector: telemetryHooks.startDemoCollector,
      createUplink: telemetryHooks.createUplink,
      validateTelemetry: telemetryHooks.validate,
    });
  } catch (e) {
    io.err(`Cannot start demo: ${(e as Error).message}\n`);
    return 1;
  }
  io.out(`edgeprobe demo is running on loopback.\n\n  Dashboard: ${demo.dashboardUrl}\n`);
  if (demo.dashboardLogin) {
    const l = demo.dashboardLogin;
    io.out(`  Log in as: ${l.user} / ${l.password}   (a viewer, made for this run)\n`);
    io.out(`  API:       curl -c /tmp/ep.cookies -H 'content-type: application/json' -d '{"user":"${l.user}","password":"${l.password}"}' ${demo.dashboardUrl}login\n`);
    io.out(`             curl -b /tmp/ep.cookies ${demo.dashboardUrl}api/v1/fleet\n`);
  }
  io.out("\n");
  for (const a of demo.agents) io.out(`  agent ${a.id.padEnd(12)} ${a.url}/healthz  ${a.url}/status\n`);
  io.out(`\nThe GTP-U responder dies for 12 s every 30 s; the PFCP peer restarts every 45 s. Ctrl-C stops everything.\n`);
  const d = demo;
  await new Promise<void>((resolve) => {
    const stop = () => {
      offInt();
      offTerm();
      resolve();
    };
    const offInt = io.onSignal("SIGINT", stop);
    const offTerm = io.onSignal("SIGTERM", stop);
  });
  io.out("stopping...\n");
  await d.stop(AbortSignal.timeout(5000));
  return 0;
}
