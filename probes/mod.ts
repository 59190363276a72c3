/**
 * @module The probe registry: adding a protocol is one folder plus one line here
 * (blackbox_exporter's `Probers` map).
 */
import type { ProbeKind, Reflector } from "./types.ts";
import { tcp } from "./tcp/mod.ts";
import { pfcp, pfcpReflector } from "./pfcp/mod.ts";
import { gtpu, gtpuReflector } from "./gtpu/mod.ts";
import { gtpc, gtpcReflector } from "./gtpc/mod.ts";
import { http } from "./http/mod.ts";
import { dnsProbe } from "./dns/mod.ts";
import { sbi, sbiReflector } from "./sbi/mod.ts";
import { sip, sipReflector } from "./sip/mod.ts";
import { diameter, diameterReflector } from "./diameter/mod.ts";
import { etcd } from "./etcd/mod.ts";

export type { FailureKind, ProbeEvent, ProbeFailure, ProbeInstance, ProbeKind, ProbeOutcome, ProbeResult, ProbeSpec, Reflector } from "./types.ts";
export { FAILURE_KINDS } from "./types.ts";
export { DecodeError, ProbeFailureError } from "./errors.ts";
export { classifyError, runProbe } from "./run_probe.ts";
// The public doors to two private helpers the agent's config and tracing need as well.
export { type HostPort, parseHostPort } from "./_wire/host_port.ts";
export { type TlsOptions, tlsOptions } from "./_http/mod.ts";

// deno-lint-ignore no-explicit-any
export const probeKinds: Readonly<Record<string, ProbeKind<any>>> = {
  tcp,
  pfcp,
  gtpu,
  gtpc,
  http,
  dns: dnsProbe,
  sbi,
  sip,
  diameter,
  etcd,
};

/** `edgeprobe reflect KIND` responders. */
export const reflectors: Readonly<Record<string, Reflector>> = {
  pfcp: pfcpReflector,
  gtpu: gtpuReflector,
  gtpc: gtpcReflector,
  sbi: sbiReflector,
  sip: sipReflector,
  diameter: diameterReflector,
};
