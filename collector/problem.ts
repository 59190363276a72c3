/** @module RFC 9457 problem details (3GPP TS 29.571 ProblemDetails shape) for every non-2xx answer. */

export interface Problem {
  /** A short slug appended to the type URI, e.g. "malformed-batch". */
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly cause?: string;
}

const TYPE_BASE = "https://edgeprobe.dev/problems/";

export function problem(p: Problem, headers: Record<string, string> = {}): Response {
  const body = { type: TYPE_BASE + p.type, title: p.title, status: p.status, ...(p.detail ? { detail: p.detail } : {}), ...(p.cause ? { cause: p.cause } : {}) };
  return new Response(JSON.stringify(body), { status: p.status, headers: { "content-type": "application/problem+json", ...headers } });
}
