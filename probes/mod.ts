/**
 * @module The probe registry: adding a protocol is one folder plus one line here
 * (blackbox_exporter's `Probers` map).
 */
import type { ProbeKind, Reflector } from "./types.ts";
import { tcp } from "./tcp/mod.ts";
import { http } from "./http/mod.ts";
import { dnsProbe } from "./dns/mod.ts";
import { sbi, sbiReflector } from "./sbi/mod.ts";
import { etcd } from "./etcd/mod.ts";

export type { FailureKind, ProbeEvent, ProbeFailure, ProbeInstance, ProbeKind, ProbeOutcome, ProbeResult, ProbeSpec, Reflector } from "./types.ts";
export { FAILURE_KINDS } from "./types.ts";
export { DecodeError, ProbeFailureError } from "./errors.ts";

// deno-lint-ignore no-explicit-any
export const probeKinds: Readonly<Record<string, ProbeKind<any>>> = {
  tcp,
  http,
  dns: dnsProbe,
  sbi,
  etcd,
};

/** `edgeprobe reflect KIND` responders. */
export const reflectors: Readonly<Record<string, Reflector>> = {
  sbi: sbiReflector,
};
