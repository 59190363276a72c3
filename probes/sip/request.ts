/** @module The SIP OPTIONS request (RFC 3261 §11, minimum header set of §8.1.1). */

export interface OptionsRequest {
  /** Request-URI, e.g. `sip:10.0.0.1:5060` (no user part pings the server itself, §11). */
  readonly requestUri: string;
  /** `UDP`, `TCP` or `TLS`: the Via transport token (§18.2.1 / §20.42). */
  readonly transport: "UDP" | "TCP" | "TLS";
  /** Via sent-by: the local address and port of the socket we send from. */
  readonly sentBy: { readonly host: string; readonly port: number };
  /** Unique per request; encoded as `z9hG4bK` + branch (§8.1.1.7 magic cookie). */
  readonly branch: string;
  readonly fromUri: string;
  readonly fromTag: string;
  readonly toUri: string;
  readonly callId: string;
  readonly cseq: number;
  /** @default 70 (§8.1.1.6) */
  readonly maxForwards?: number;
  readonly userAgent?: string;
  /** Contact URI (optional in OPTIONS, §11.1). */
  readonly contact?: string;
}

/** The branch magic cookie: marks the request as RFC 3261 compliant (§8.1.1.7). */
export const BRANCH_COOKIE = "z9hG4bK";

function hostForUri(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

/** Random token of `n` bytes as hex, for branch, tag and Call-ID (§8.1.1.4, §19.3). */
export function randomToken(n = 8): string {
  const b = crypto.getRandomValues(new Uint8Array(n));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/**
 * Encode an OPTIONS request. Content-Length: 0 is always sent: mandatory on streams (§18.3),
 * advised on UDP.
 * @example
 * encodeOptionsRequest({ requestUri: "sip:127.0.0.1:5060", transport: "UDP", sentBy: { host: "127.0.0.1", port: 40000 },
 *   branch: "a1", fromUri: "sip:edgeprobe@127.0.0.1", fromTag: "t1", toUri: "sip:127.0.0.1:5060", callId: "c1", cseq: 1 });
 */
export function encodeOptionsRequest(r: OptionsRequest): Uint8Array {
  const lines = [
    `OPTIONS ${r.requestUri} SIP/2.0`,
    // RFC 3581 §3: an empty rport asks the server to answer to our source port.
    `Via: SIP/2.0/${r.transport} ${hostForUri(r.sentBy.host)}:${r.sentBy.port};branch=${BRANCH_COOKIE}${r.branch};rport`,
    `Max-Forwards: ${r.maxForwards ?? 70}`,
    `To: <${r.toUri}>`,
    `From: <${r.fromUri}>;tag=${r.fromTag}`,
    `Call-ID: ${r.callId}`,
    `CSeq: ${r.cseq} OPTIONS`,
    ...(r.contact ? [`Contact: <${r.contact}>`] : []),
    // §11.1: an OPTIONS request SHOULD carry Accept with the body types we want back.
    "Accept: application/sdp",
    ...(r.userAgent ? [`User-Agent: ${r.userAgent}`] : []),
    "Content-Length: 0",
  ];
  return new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n");
}

/** Format a host:port for a SIP URI, bracketing IPv6 literals (RFC 3261 §19.1.1 / RFC 5118). */
export function uriHostPort(host: string, port: number): string {
  return `${hostForUri(host)}:${port}`;
}
