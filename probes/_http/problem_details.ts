/** @module ProblemDetails (TS 29.571 §5.2.4.1, RFC 9457) read from an `application/problem+json` body. */
import { DecodeError } from "../errors.ts";

export interface InvalidParam {
  readonly param: string;
  readonly reason?: string;
}

/** The fields a prober alerts on; the rest of the object is ignored. */
export interface ProblemDetails {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  readonly detail?: string;
  readonly instance?: string;
  /** TS 29.500 Table 5.2.7.2-1 protocol cause, e.g. "NF_CONGESTION". */
  readonly cause?: string;
  readonly invalidParams?: readonly InvalidParam[];
}

/** True for `application/problem+json` (parameters such as charset allowed). */
export function isProblemJson(contentType: string | undefined): boolean {
  return /^application\/problem\+json\s*(;|$)/i.test(contentType?.trim() ?? "");
}

/**
 * Decode a ProblemDetails body. Fields of the wrong type are dropped, not fatal: a peer's
 * cosmetic mistake must not hide its `cause`.
 * @throws DecodeError when the body is not a JSON object.
 */
export function decodeProblemDetails(body: Uint8Array): ProblemDetails {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch (e) {
    throw new DecodeError("sbi", 0, `Cannot decode ProblemDetails: body is not JSON (${(e as Error).message})`, { cause: e });
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new DecodeError("sbi", 0, `Cannot decode ProblemDetails: expected a JSON object, got ${Array.isArray(v) ? "an array" : typeof v}`);
  }
  const o = v as Record<string, unknown>;
  const str = (k: string) => typeof o[k] === "string" ? o[k] as string : undefined;
  const params = Array.isArray(o.invalidParams)
    ? o.invalidParams.flatMap((p) =>
      p && typeof p === "object" && typeof (p as InvalidParam).param === "string"
        ? [{ param: (p as InvalidParam).param, ...(typeof (p as InvalidParam).reason === "string" ? { reason: (p as InvalidParam).reason } : {}) }]
        : []
    )
    : undefined;
  const out: Record<string, unknown> = {
    type: str("type"),
    title: str("title"),
    status: typeof o.status === "number" && Number.isInteger(o.status) ? o.status : undefined,
    detail: str("detail"),
    instance: str("instance"),
    cause: str("cause"),
    invalidParams: params?.length ? params : undefined,
  };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out as ProblemDetails;
}

/** "NF_CONGESTION: Service Unavailable (overload)" for failure messages. */
export function describeProblem(p: ProblemDetails): string {
  const head = [p.cause, p.title].filter(Boolean).join(": ");
  const tail = p.detail ? ` (${p.detail})` : "";
  const params = p.invalidParams?.length ? ` [${p.invalidParams.map((x) => x.reason ? `${x.param}: ${x.reason}` : x.param).join("; ")}]` : "";
  return (head || "no cause given") + tail + params;
}
