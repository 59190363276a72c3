/**
 * @module The probe contract shared by every probe kind, the agent and the CLI.
 *
 * A probe kind is pure protocol logic: it gets its sockets ({@link Net}) and clock handed in,
 * and never publishes anything itself (Cloudprober's `Probe`, blackbox's `ProbeFn`).
 */
import type { z } from "zod";
import type { Net } from "../runtime/types.ts";
import type { FailureKind } from "../telemetry/wire_tables.ts";
import type { Facts } from "../telemetry/record.ts";

// The failure kinds and facts are part of the telemetry wire format (docs/telemetry.md): their
// codes are frozen there, so every layer reads the one table.
export { FAILURE_KINDS, type FailureKind } from "../telemetry/wire_tables.ts";
export type { FactValue, Facts } from "../telemetry/record.ts";

export interface ProbeFailure {
  readonly kind: FailureKind;
  /** One sentence for humans: "Cannot ... : ..." */
  readonly message: string;
  /** Machine-readable cause when the peer gave one: SBI ProblemDetails `cause`, Diameter result name. */
  readonly reason?: string;
}

/** Events a probe noticed during a run, beside its result. */
export interface ProbeEvent {
  readonly type: "peer-restart" | "leader-change" | "peer-event";
  readonly detail: Facts;
}

/** What a probe kind returns from one run; `runProbe` adds timing and turns throws into failures. */
export interface ProbeOutcome {
  readonly ok: boolean;
  /** Protocol round-trip time when the probe measured it itself; otherwise the run's duration is used. */
  readonly latencyMs?: number;
  readonly failure?: ProbeFailure;
  readonly facts?: Facts;
  readonly events?: readonly ProbeEvent[];
}

/** A finished run, as health, /status, metrics and telemetry see it. */
export interface ProbeResult extends ProbeOutcome {
  readonly startedAt: number; // epoch ms from the injected clock
  readonly latencyMs: number;
}

/** Everything about one configured probe that a kind needs to build its instance. */
export interface ProbeSpec<Options> {
  readonly name: string;
  /** As written in config: "host:port", "[::1]:8805" or a URL for HTTP-based kinds. */
  readonly target: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Local address to bind (config `sourceAddress`). */
  readonly sourceAddress?: string;
  readonly options: Options;
}

/** What a probe instance may use from its surroundings. Passed in, never imported. */
export interface ProbeEnv {
  readonly net: Net;
  /** Epoch ms; a test clock makes it manual. */
  now(): number;
  /** Structured log line (already JSON-safe fields). */
  log(level: "debug" | "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>): void;
}

/** One live probe: keeps its sockets and peer state (recovery values) across runs. */
export interface ProbeInstance {
  /**
   * One run against the target. Returns a result for every answer it understood, negative ones
   * included (`ok: false, failure.kind: "rejected"`); throws for everything else (abort, socket
   * errors, DecodeError). The signal carries the whole-run timeout.
   */
  run(signal: AbortSignal): Promise<ProbeOutcome>;
  /** Release sockets; persistent kinds say goodbye (Diameter DPR). */
  close(signal?: AbortSignal): Promise<void>;
}

/** A probe kind as registered in probes/mod.ts. */
export interface ProbeKind<Options = unknown> {
  readonly kind: string;
  /** One line for `--help`. */
  readonly summary: string;
  /** A command line that runs this kind, for `edgeprobe probe KIND --help` ("edgeprobe probe tcp 10.0.0.1:22"). */
  readonly example?: string;
  /** Port used when the target names none (e.g. 8805 for PFCP). */
  readonly defaultPort?: number;
  /** This kind's options schema (strict: unknown keys are errors). Defaults documented on fields. */
  readonly options: z.ZodType<Options>;
  create(spec: ProbeSpec<Options>, env: ProbeEnv): ProbeInstance;
}

/** A lab responder for one protocol (`edgeprobe reflect KIND`), used by the demo and path tests. */
export interface Reflector {
  readonly kind: string;
  readonly summary: string;
  /** Where it listens when `--listen` is not given, e.g. "127.0.0.1:8805". */
  readonly defaultListen: string;
  start(options: ReflectorOptions, env: ReflectorEnv): Promise<ReflectorHandle>;
}

export interface ReflectorOptions {
  readonly listen: string;
  /** Initial recovery value (PFCP Recovery Time Stamp, GTP restart counter, Origin-State-Id). */
  readonly recovery?: number;
  /** Kind-specific `--option value` pairs from the command line, unparsed. */
  readonly extra: Readonly<Record<string, string>>;
}

export interface ReflectorEnv {
  readonly net: import("../runtime/types.ts").Net;
  now(): number;
  log(level: "debug" | "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>): void;
}

export interface ReflectorHandle {
  readonly address: import("../runtime/types.ts").SocketAddress;
  /** Simulate a peer restart: move the recovery value on (SIGHUP in the CLI). */
  restart(): void;
  close(): Promise<void>;
}
