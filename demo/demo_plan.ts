/**
 * @module What `edgeprobe demo` runs: reflectors for every protocol, three agents on loopback
 * and a chaos timer. Pure data, so a test can check the plan without starting anything.
 */

export interface DemoPorts {
  readonly collector: number;
  readonly agents: readonly [number, number, number];
  readonly pfcp: number;
  readonly gtpu: number;
  readonly gtpc: number;
  readonly sip: number;
  readonly diameter: number;
  readonly sbi: number;
}

/** Unprivileged look-alikes of the standard ports (8805, 2152, 2123, 5060, 3868). */
export function demoPorts(base = 0): DemoPorts {
  return {
    collector: 9400 + base,
    agents: [8081 + base, 8082 + base, 8083 + base],
    pfcp: 18805 + base,
    gtpu: 12152 + base,
    gtpc: 12123 + base,
    sip: 15060 + base,
    diameter: 13868 + base,
    sbi: 18090 + base,
  };
}

export const DEMO_NF_INSTANCE = "3fa85f64-5717-4562-b3fc-2c963f66afa6";

/** Agent configs as documents, validated by the same parser as a user's file. */
export function demoAgentDocs(p: DemoPorts, collectorToken: string): Array<Record<string, unknown>> {
  const telemetry = (id: string) => ({
    collector: `http://127.0.0.1:${p.collector}`,
    token: collectorToken,
    spool: { dir: `${id}`, maxBytes: "8MiB" },
  });
  const base = (id: string, port: number, labels: Record<string, string>, probes: unknown[]) => ({
    agent: { id, labels },
    server: { listen: `127.0.0.1:${port}` },
    probes,
    telemetry: telemetry(id),
  });
  const fast = { interval: "1s", timeout: "500ms", fall: 2, rise: 2 };
  return [
    base("upf-north-1", p.agents[0], { region: "north", site: "mec-1", role: "upf" }, [
      { name: "smf-n4", kind: "pfcp", target: `127.0.0.1:${p.pfcp}`, interface: "N4", ...fast },
      { name: "gnb-n3", kind: "gtpu", target: `127.0.0.1:${p.gtpu}`, interface: "N3", ...fast },
      { name: "nrf-heartbeat", kind: "sbi", target: `http://127.0.0.1:${p.sbi}`, interface: "SBI", critical: false, interval: "2s", timeout: "1s", options: { mode: "nrf-heartbeat", nfInstanceId: DEMO_NF_INSTANCE } },
    ]),
    base("smf-south-1", p.agents[1], { region: "south", site: "core-2", role: "smf" }, [
      { name: "upf-n4", kind: "pfcp", target: `127.0.0.1:${p.pfcp}`, interface: "N4", ...fast },
      { name: "sgw-s5", kind: "gtpc", target: `127.0.0.1:${p.gtpc}`, interface: "S5-C", ...fast },
      { name: "pcrf-gx", kind: "diameter", target: `127.0.0.1:${p.diameter}`, interface: "Gx", critical: false, ...fast, timeout: "800ms", options: { originHost: "smf-south-1.demo.edgeprobe", originRealm: "demo.edgeprobe" } },
    ]),
    base("ims-east-1", p.agents[2], { region: "east", site: "mec-3", role: "ims" }, [
      { name: "pcscf-sip", kind: "sip", target: `127.0.0.1:${p.sip}`, interface: "Gm", ...fast },
      { name: "gnb-n3", kind: "gtpu", target: `127.0.0.1:${p.gtpu}`, interface: "N3", critical: false, ...fast, options: { burst: 5, burstInterval: "20ms" } },
      { name: "nrf-heartbeat", kind: "sbi", target: `http://127.0.0.1:${p.sbi}`, interface: "SBI", critical: false, interval: "2s", timeout: "1s", options: { mode: "nrf-heartbeat", nfInstanceId: DEMO_NF_INSTANCE } },
    ]),
  ];
}

/** The chaos schedule: the GTP-U responder dies for `downMs` every `periodMs`; PFCP restarts. */
export const DEMO_CHAOS = { gtpuPeriodMs: 30_000, gtpuDownMs: 12_000, pfcpRestartEveryMs: 45_000 } as const;
