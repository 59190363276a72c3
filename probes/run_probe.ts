/**
 * @module runProbe(): the one place that turns a thrown error into a ProbeResult
 * (blackbox's handler, Cloudprober's scheduler own the common parts).
 */
import { DecodeError, ProbeFailureError } from "./errors.ts";
import type { FailureKind, ProbeInstance, ProbeResult } from "./types.ts";
import type { Clock } from "../runtime/types.ts";
import { abortable } from "../common/abortable.ts";
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

/**
 * Run one probe attempt with a whole-run timeout; never throws.
 * @param parent aborts the run early (shutdown, reload).
 */
export async function runProbe(
  probe: ProbeInstance,
  timeoutMs: number,
  clock: Clock,
  parent?: AbortSignal,
): Promise<ProbeResult> {
  const startedAt = clock.now();
  const t0 = clock.monotonic();
  const signal = parent ? AbortSignal.any([parent, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
  try {
    // A probe that hangs past its signal must not hang the scheduler.
    const outcome = await abortable(probe.run(signal), signal);
    const elapsed = clock.monotonic() - t0;
    return { ...outcome, startedAt, latencyMs: roundMs(outcome.latencyMs ?? elapsed) };
  } catch (e) {
    const elapsed = clock.monotonic() - t0;
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
}
