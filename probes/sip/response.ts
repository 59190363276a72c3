/** @module Building a SIP response to a request (RFC 3261 §8.2.6), used by the reflector. */
import { headerParams, type SipRequest } from "./message.ts";
import { randomToken } from "./request.ts";

/** Standard reason phrases for the codes the reflector may send (§21). */
export const REASON_PHRASES: Readonly<Record<number, string>> = {
  100: "Trying",
  200: "OK",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  480: "Temporarily Unavailable",
  483: "Too Many Hops",
  486: "Busy Here",
  500: "Server Internal Error",
  503: "Service Unavailable",
  603: "Decline",
};

export interface ResponseOptions {
  readonly status: number;
  readonly reason?: string;
  /** Where the request came from: fills Via `received` and `rport` (RFC 3581 §4). */
  readonly source: { readonly address: string; readonly port: number };
  /** Extra headers, already formatted ("Allow: OPTIONS"). */
  readonly extra?: readonly string[];
}

/**
 * Encode a response: Via list (top one stamped with received/rport), From, To (tagged unless
 * 100), Call-ID and CSeq copied from the request (§8.2.6.2).
 */
export function encodeResponse(req: SipRequest, o: ResponseOptions): Uint8Array {
  const vias = [...(req.headers.get("via") ?? [])];
  if (vias.length > 0) {
    const params = headerParams(vias[0]);
    let top = vias[0];
    if (params.has("rport") && params.get("rport") === "") top = top.replace(/;rport(?=;|$)/i, `;rport=${o.source.port}`);
    if (!params.has("received")) top += `;received=${o.source.address}`;
    vias[0] = top;
  }
  const to = req.headers.get("to")?.[0] ?? "";
  const toTagged = o.status === 100 || headerParams(to).has("tag") ? to : `${to};tag=${randomToken(6)}`;
  const lines = [
    `SIP/2.0 ${o.status} ${o.reason ?? REASON_PHRASES[o.status] ?? "Unknown"}`,
    ...vias.map((v) => `Via: ${v}`),
    `From: ${req.headers.get("from")?.[0] ?? ""}`,
    `To: ${toTagged}`,
    `Call-ID: ${req.headers.get("call-id")?.[0] ?? ""}`,
    `CSeq: ${req.headers.get("cseq")?.[0] ?? ""}`,
    ...(o.extra ?? []),
    "Content-Length: 0",
  ];
  return new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n");
}
