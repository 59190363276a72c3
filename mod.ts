/**
 * @module edgeprobe as a library, for people who embed it: the probe registry and contract, the
 * protocol codecs' shared errors, and the telemetry wire codec (docs/architecture.md).
 *
 * Run one probe from your own code:
 *
 * ```ts
 * import { nodeNet, probeKinds, runProbe, systemClock } from "edgeprobe";
 * const kind = probeKinds.pfcp;
 * const probe = kind.create(
 *   { name: "n4", target: "127.0.0.1:8805", intervalMs: 5000, timeoutMs: 1000, options: kind.options.parse({}) },
 *   { net: nodeNet, now: () => systemClock.now(), log: () => {} },
 * );
 * const result = await runProbe(probe, 1000, systemClock);
 * await probe.close();
 * ```
 *
 * The agent, the collector and the command line are programs, not part of this surface.
 */

// The probe registry, the probe contract and its runner (probes/).
export {
  classifyError,
  DecodeError,
  FAILURE_KINDS,
  type FailureKind,
  type ProbeEvent,
  type ProbeFailure,
  ProbeFailureError,
  type ProbeInstance,
  type ProbeKind,
  probeKinds,
  type ProbeOutcome,
  type ProbeResult,
  type ProbeSpec,
  type Reflector,
  reflectors,
  runProbe,
} from "./probes/mod.ts";
export type { ProbeEnv, ReflectorEnv, ReflectorHandle, ReflectorOptions } from "./probes/types.ts";

// The telemetry wire format v1: CBOR codec, record model, wire tables (telemetry/).
export * from "./telemetry/mod.ts";

// Sockets and the clock a probe is given (runtime/), for Bun, Deno and Node.
export type { Clock, Net } from "./runtime/types.ts";
export { nodeNet } from "./runtime/node_net.ts";
export { systemClock } from "./runtime/clock.ts";
