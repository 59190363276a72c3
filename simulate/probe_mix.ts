/**
 * @module The probes an emulated edge node runs: a 5G/EPC user-plane and control-plane site.
 *
 * Intervals follow what operators configure (docs/fleet-simulator.md): PFCP heartbeats on N4 and
 * GTP-U echo on N3/N9 every few seconds (TS 29.244 §7.4.2 and TS 29.281 §7.2.1 leave the period
 * to the operator; 5 s is common, 1 s where fast failover matters), GTPv2-C echo on S5/S8 and
 * SBI NF status every 10-15 s, Diameter watchdog (RFC 6733 §5.5.3 Tw ≥ 6 s, typically 30 s), SIP
 * OPTIONS keepalives and DNS every 30 s.
 */
import type { FailureKind } from "../telemetry/mod.ts";

export interface ProbeSpec {
  /** Name prefix; a node with more probes than templates numbers the peers (`n3-gnb-02`). */
  readonly name: string;
  readonly kind: string;
  readonly intervalMs: number;
  /** Typical (median) latency in µs. */
  readonly latencyUs: number;
  /** An unhealthy critical probe turns the node DOWN; another one DEGRADED (agent/health.ts). */
  readonly critical: boolean;
  /** Failure kinds this probe reports, most likely first. */
  readonly failures: readonly FailureKind[];
  /** The peer carries a restart counter the probe reports as a fact (PFCP/GTP Recovery). */
  readonly recovery: boolean;
}

export const PROBE_MIX: readonly ProbeSpec[] = [
  { name: "n4-smf", kind: "pfcp", intervalMs: 5_000, latencyUs: 900, critical: true, failures: ["timeout", "unreachable"], recovery: true },
  { name: "n3-gnb", kind: "gtpu", intervalMs: 5_000, latencyUs: 600, critical: false, failures: ["timeout", "refused"], recovery: true },
  { name: "n9-upf", kind: "gtpu", intervalMs: 5_000, latencyUs: 1_400, critical: true, failures: ["timeout"], recovery: true },
  { name: "s5-pgw", kind: "gtpc", intervalMs: 10_000, latencyUs: 2_500, critical: false, failures: ["timeout", "rejected"], recovery: true },
  { name: "nrf", kind: "sbi", intervalMs: 15_000, latencyUs: 4_000, critical: true, failures: ["timeout", "rejected", "refused"], recovery: false },
  { name: "n11-smf", kind: "sbi", intervalMs: 10_000, latencyUs: 3_000, critical: false, failures: ["rejected", "timeout"], recovery: false },
  { name: "s6a-hss", kind: "diameter", intervalMs: 30_000, latencyUs: 6_000, critical: false, failures: ["timeout", "rejected"], recovery: false },
  { name: "pcscf", kind: "sip", intervalMs: 30_000, latencyUs: 8_000, critical: false, failures: ["timeout", "rejected"], recovery: false },
  { name: "dns", kind: "dns", intervalMs: 30_000, latencyUs: 1_200, critical: false, failures: ["timeout", "malformed"], recovery: false },
  { name: "oam", kind: "http", intervalMs: 15_000, latencyUs: 2_000, critical: false, failures: ["refused", "timeout"], recovery: false },
];

/** The first `n` probes of a node: the mix in order, then again with numbered peers. */
export function probesOf(n: number, mix: readonly ProbeSpec[] = PROBE_MIX): ProbeSpec[] {
  const out: ProbeSpec[] = [];
  for (let i = 0; i < n; i++) {
    const t = mix[i % mix.length];
    const round = Math.floor(i / mix.length);
    out.push(round === 0 ? t : { ...t, name: `${t.name}-${String(round + 1).padStart(2, "0")}` });
  }
  return out;
}
