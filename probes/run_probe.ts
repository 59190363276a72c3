/**
 * @module runProbe(): the one place that turns a thrown error into a ProbeResult
 * (blackbox's handler, Cloudprober's scheduler own the common parts).
 */
import { DecodeError, ProbeFailureError } from "./errors.ts";
import type { FailureKind, ProbeInstance, ProbeOutcome, ProbeResult } from "./types.ts";
import type { Clock } from "../runtime/types.ts";
import { abortable, abortReason } from "../common/abortable.ts";
import { roundMs } from "../common/round_ms.ts";

/** Map a thrown value to the closed failure set. */
export function classifyError(e: unknown): FailureKind {
  if (e instanceof ProbeFailureError) return e.kind;
  if (e instanceof DecodeError) return "malformed";
  const err = e as { name?: string; code?: string; cause?: unknown };
  if (err?.name === "TimeoutError") return "timeout";
  const code = err?.code ?? (err?.cause as { code?: string } | undefined)?.code;
  switch (code) {
    case "ECONNREFUSED":
      return "refused";
    case "ETIMEDOUT":
      return "timeout";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "ECONNRESET":
    case "EPIPE":
      return "unreachable";
    case "EADDRNOTAVAIL":
    case "EADDRINUSE":
    case "EACCES":
    case "EPERM":
    case "EINVAL":
      return "local";
  }
  // A peer that answers bytes the parser refuses: llhttp's HPE_* codes (HTTP/1.1), and TLS records
  // that are not TLS (a plaintext or garbage peer on a TLS port).
  // Bun.connect's TLS (runtime/bun_net.ts) reports the same refusals as EPROTO with BoringSSL's
  // reason in the message ("SSL routines:...:WRONG_VERSION_NUMBER"): a peer that is not speaking TLS.
  if (code === "EPROTO") return "malformed";
  if (typeof code === "string" && (/^HPE_/.test(code) || /^ERR_SSL_(WRONG_VERSION_NUMBER|.*(RECORD|PACKET|LENGTH|DECODE|UNEXPECTED).*)$/.test(code))) return "malformed";
  if (err?.name === "AbortError") return "timeout";
  if (err?.cause) return classifyError(err.cause);
  return "local";
}

function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** A run in flight: its result (never rejects) and a way to end it early. */
export interface ProbeRun {
  readonly result: Promise<ProbeResult>;
  /** End the run now (shutdown, reload): the probe's signal aborts with `reason` and the result is that failure. */
  abort(reason?: unknown): void;
}

/**
 * Start one probe attempt with a whole-run timeout. The run's signal is one AbortController's,
 * aborted by one timer that is cleared when the run ends: on Bun 1.4.5, `AbortSignal.any([parent,
 * AbortSignal.timeout(ms)])` plus the `abortable()` race cost ~20 µs of CPU per run at 1,000
 * runs a second, the controller and a cleared timer ~5 µs (measured, docs/benchmarks.md "CPU
 * per TCP probe"); an uncleared `AbortSignal.timeout` timer also wakes the event loop once more
 * per run, 500 ms later, for nothing. The caller (the scheduler) aborts through the handle
 * instead of a parent signal.
 *
 * `onSettled`, if given, gets the result in the reaction that settles it, and the `result`
 * promise is made only if someone reads it: the scheduler takes every result this way, one
 * promise and one reaction fewer per run (docs/benchmarks.md "The probe path, fifth pass").
 */
export function startProbeRun(probe: ProbeInstance, timeoutMs: number, clock: Clock, onSettled?: (result: ProbeResult) => void): ProbeRun {
  const startedAt = clock.now();
  const t0 = clock.monotonic();
  const ctrl = new AbortController();
  let settled: ProbeResult | undefined;
  let resolveResult: ((r: ProbeResult) => void) | undefined;
  let result: Promise<ProbeResult> | undefined;
  const settle = (r: ProbeResult) => {
    settled = r;
    resolveResult?.(r);
    onSettled?.(r);
  };
  let done = false;
  const fail = (e: unknown) => {
    if (done) return;
    done = true;
    clock.clearTimeout(timer);
    settle(failureResult(e, ctrl.signal, timeoutMs, startedAt, clock.monotonic() - t0));
  };
  const abort = (reason: unknown) => {
    if (done || ctrl.signal.aborted) return;
    ctrl.abort(reason);
    // The result is the abort's failure either way, but it settles once the probe has reacted to
    // its signal (a Diameter or SIP probe closes its connection and sets its backoff in its own
    // handlers, which the next run must see), or at the next macrotask for a probe that hangs
    // past its signal: such a probe must not hang the scheduler.
    setTimeout(() => fail(ctrl.signal.reason), 0);
  };
  // The caller's clock arms the deadline: the scheduler's lets deadlines that fall due together
  // abort one per turn of the event loop, and keeps them on its own timer (agent/scheduler.ts).
  const timer = clock.setTimeout(() => abort(new DOMException("The operation timed out.", "TimeoutError")), timeoutMs);
  let running: Promise<ProbeOutcome>;
  try {
    running = probe.run(ctrl.signal);
  } catch (e) {
    running = Promise.reject(e);
  }
  running.then((outcome) => {
    if (done) return;
    if (ctrl.signal.aborted) return fail(ctrl.signal.reason);
    done = true;
    clock.clearTimeout(timer);
    const elapsed = clock.monotonic() - t0;
    settle({ ...outcome, startedAt, latencyMs: roundMs(outcome.latencyMs ?? elapsed) });
  }, (e) => fail(ctrl.signal.aborted ? ctrl.signal.reason : e));
  return {
    get result() {
      return result ??= settled ? Promise.resolve(settled) : new Promise<ProbeResult>((resolve) => (resolveResult = resolve));
    },
    abort: (reason) => abort(reason ?? new DOMException("The operation was aborted", "AbortError")),
  };
}

/**
 * Run one probe attempt with a whole-run timeout; never throws.
 * @param parent aborts the run early (shutdown, reload).
 */
export function runProbe(
  probe: ProbeInstance,
  timeoutMs: number,
  clock: Clock,
  parent?: AbortSignal,
): Promise<ProbeResult> {
  const run = startProbeRun(probe, timeoutMs, clock);
  // The race only forwards the parent's abort to the run (which then settles as that failure).
  if (parent) abortable(run.result, parent, () => run.abort(abortReason(parent))).catch(() => {});
  return run.result;
}

function failureResult(e: unknown, signal: AbortSignal, timeoutMs: number, startedAt: number, elapsed: number): ProbeResult {
  let kind = classifyError(e);
  // A probe that ignored the signal but whose budget ran out is still a timeout.
  if (signal.aborted && kind === "local" && (signal.reason as Error)?.name === "TimeoutError") kind = "timeout";
  const message = kind === "timeout" && (e as Error)?.name === "TimeoutError"
    ? `Cannot get an answer: no response within ${timeoutMs}ms`
    : messageOf(e);
  return {
    ok: false,
    startedAt,
    latencyMs: roundMs(elapsed),
    failure: { kind, message, ...(e instanceof ProbeFailureError && e.reason ? { reason: e.reason } : {}) },
  };
}
