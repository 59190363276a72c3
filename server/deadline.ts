/**
 * @module The request deadline every server of the agent applies: `min(requestTimeout,
 * 3gpp-Sbi-Max-Rsp-Time)` (TS 29.500 §5.2.3.2), a late handler answered 504 TIMED_OUT_REQUEST and
 * aborted, a failing one 500 SYSTEM_FAILURE, both problem+json (TS 29.571 §5.2.4.1).
 */
import { PROBLEM_JSON, reasonPhrase } from "./problem.ts";

/** TS 29.500 §5.2.3.2.x: the client's answer deadline in ms. */
export function maxRspTime(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** The time the server gives a request: the configured bound, or less if the client asks. */
export function requestBudget(requestTimeoutMs: number, headers: Headers): number {
  return Math.min(requestTimeoutMs, maxRspTime(headers.get("3gpp-sbi-max-rsp-time")) ?? Infinity);
}

const enc = new TextEncoder();

export function problemBytes(status: number, detail: string, cause?: string): Uint8Array<ArrayBuffer> {
  return enc.encode(JSON.stringify({ title: reasonPhrase(status), status, detail, ...(cause ? { cause } : {}) }));
}

export function problemAnswer(status: number, detail: string, cause?: string, headers: Record<string, string> = {}): Response {
  return new Response(problemBytes(status, detail, cause), { status, headers: { "content-type": PROBLEM_JSON, ...headers } });
}

/** Run the handler under `timeoutMs`; a late answer becomes 504 and `controller` is aborted. */
export async function answerWithin(
  handler: () => Promise<Response> | Response,
  timeoutMs: number,
  controller: AbortController,
  onError: (e: unknown) => void = () => {},
): Promise<Response> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<Response>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new DOMException("request timeout", "TimeoutError"));
      resolve(problemAnswer(504, `no answer within ${timeoutMs}ms`, "TIMED_OUT_REQUEST"));
    }, timeoutMs);
  });
  try {
    return await Promise.race([
      Promise.resolve().then(handler).catch((e) => {
        onError(e);
        return problemAnswer(500, "the handler failed", "SYSTEM_FAILURE");
      }),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
