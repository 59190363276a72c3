/**
 * @module `edgeprobe demo`: a collector, three agents and a responder for every protocol on
 * loopback, with the GTP-U responder dying and coming back on a timer and the PFCP peer
 * restarting, so the fleet is visibly live within seconds.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AgentDeps, type AgentHandle, startAgent } from "../agent/agent.ts";
import { parseAgentConfig } from "../agent/config.ts";
import { reflectors } from "../probes/mod.ts";
import type { ReflectorHandle } from "../probes/types.ts";
import { DEMO_CHAOS, demoAgentDocs, type DemoPorts, demoPorts } from "./demo_plan.ts";

export interface DemoCollector {
  readonly url: string;
  /** The viewer created for the demo's dashboard (the read side needs a login). */
  readonly login?: { readonly user: string; readonly password: string };
  close(signal: AbortSignal): Promise<void>;
}

/** What every demo agent is started with (startAgent's own deps), and the demo's extras. */
export interface DemoDeps extends AgentDeps {
  /** Port offset, so tests can run a demo beside another. @default 0 */
  readonly portBase?: number;
  readonly startCollector?: (ports: DemoPorts, token: string, dir: string) => Promise<DemoCollector>;
  readonly validateTelemetry?: (raw: Record<string, unknown>) => string[];
}

export interface DemoHandle {
  readonly dashboardUrl: string;
  /** How to log in to the dashboard, when a collector runs. */
  readonly dashboardLogin?: { readonly user: string; readonly password: string };
  readonly agents: ReadonlyArray<{ readonly id: string; readonly url: string; readonly handle: AgentHandle }>;
  readonly ports: DemoPorts;
  stop(signal: AbortSignal): Promise<void>;
}

const DEMO_TOKEN = "demo-token-not-secret";

export async function startDemo(deps: DemoDeps): Promise<DemoHandle> {
  const ports = demoPorts(deps.portBase ?? 0);
  const dir = mkdtempSync(join(tmpdir(), "edgeprobe-demo-"));
  const log = deps.log;
  const env = { net: deps.net, now: () => deps.clock.now(), log };
  const started: ReflectorHandle[] = [];
  const startReflector = async (kind: string, port: number, extra: Record<string, string> = {}, recovery?: number) => {
    const r = reflectors[kind];
    if (!r) {
      log("warn", `demo: this build has no ${kind} reflector`);
      return undefined;
    }
    const h = await r.start({ listen: `127.0.0.1:${port}`, extra, recovery }, env);
    started.push(h);
    return h;
  };

  const pfcp = await startReflector("pfcp", ports.pfcp);
  let gtpu = await startReflector("gtpu", ports.gtpu);
  await startReflector("gtpc", ports.gtpc, {}, 7);
  await startReflector("sip", ports.sip);
  await startReflector("diameter", ports.diameter);
  await startReflector("sbi", ports.sbi, { mode: "204" });

  const collector = deps.startCollector ? await deps.startCollector(ports, DEMO_TOKEN, join(dir, "collector")) : undefined;

  const agents: Array<{ id: string; url: string; handle: AgentHandle }> = [];
  for (const doc of demoAgentDocs(ports, DEMO_TOKEN)) {
    const telemetry = doc.telemetry as { spool: { dir: string } };
    telemetry.spool.dir = join(dir, telemetry.spool.dir);
    if (!collector) delete doc.telemetry;
    // Kinds missing from this build are left out rather than failing the whole demo.
    doc.probes = (doc.probes as Array<{ kind: string }>).filter((p) => p.kind in reflectors || p.kind === "tcp");
    const cfg = parseAgentConfig(doc, "demo", { env: {}, hostname: "demo", validateTelemetry: deps.validateTelemetry });
    const handle = await startAgent(cfg, {
      ...deps,
      log: (level, msg, fields) => log(level, msg, { agent: cfg.agent.id, ...fields }),
      createUplink: collector ? deps.createUplink : undefined,
    });
    agents.push({ id: cfg.agent.id, url: `http://127.0.0.1:${handle.port}`, handle });
  }

  // Chaos: the GTP-U responder dies and comes back; the PFCP peer restarts (new Recovery Time Stamp).
  const timers: ReturnType<typeof setTimeout>[] = [];
  const gtpuCycle = () => {
    timers.push(setTimeout(async () => {
      log("info", "demo: GTP-U responder stops", { forMs: DEMO_CHAOS.gtpuDownMs });
      const h = gtpu;
      gtpu = undefined;
      if (h) {
        started.splice(started.indexOf(h), 1);
        await h.close();
      }
      timers.push(setTimeout(async () => {
        log("info", "demo: GTP-U responder is back");
        gtpu = await startReflector("gtpu", ports.gtpu);
        gtpuCycle();
      }, DEMO_CHAOS.gtpuDownMs));
    }, DEMO_CHAOS.gtpuPeriodMs - DEMO_CHAOS.gtpuDownMs));
  };
  gtpuCycle();
  const pfcpTimer = setInterval(() => {
    log("info", "demo: PFCP peer restarts");
    pfcp?.restart();
  }, DEMO_CHAOS.pfcpRestartEveryMs);

  return {
    dashboardUrl: collector ? `${collector.url}/` : `${agents[0]?.url}/status`,
    ...(collector?.login ? { dashboardLogin: collector.login } : {}),
    agents,
    ports,
    async stop(signal) {
      for (const t of timers) clearTimeout(t);
      clearInterval(pfcpTimer);
      await Promise.all(agents.map((a) => a.handle.stop("demo stop", signal)));
      await collector?.close(signal);
      await Promise.all(started.map((h) => h.close().catch(() => {})));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
