/** @module Parse an HTTP/1.1 request head (RFC 9112 §2-§5); pure, bounded. */

export interface RequestHead {
  readonly method: string;
  readonly target: string;
  readonly version: "1.0" | "1.1";
  /** Lower-case names, in order. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** Bytes the head took, including the blank line. */
  readonly length: number;
}

export class HttpParseError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "HttpParseError";
    this.status = status;
  }
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Index of "\r\n\r\n" in buf from `from`, or -1. */
export function findHeadEnd(buf: Uint8Array, from = 0): number {
  for (let i = Math.max(0, from - 3); i + 3 < buf.length; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) return i;
  }
  return -1;
}

/**
 * Parse one request head from the start of `buf`. Returns undefined when more bytes are needed;
 * throws HttpParseError (400/431/505) for a head that can never be valid.
 */
export function parseRequestHead(buf: Uint8Array, maxHeaderBytes: number): RequestHead | undefined {
  // RFC 9112 §2.2: a server SHOULD ignore at least one empty line received before the request-line.
  let start = 0;
  while (start + 1 < buf.length && buf[start] === 13 && buf[start + 1] === 10) start += 2;
  const end = findHeadEnd(buf, start);
  if (end < 0) {
    if (buf.length - start > maxHeaderBytes) throw new HttpParseError(431, `request head exceeds ${maxHeaderBytes} bytes`);
    return undefined;
  }
  if (end - start > maxHeaderBytes) throw new HttpParseError(431, `request head exceeds ${maxHeaderBytes} bytes`);
  const text = new TextDecoder("latin1").decode(buf.subarray(start, end));
  const lines = text.split("\r\n");
  const requestLine = lines[0].split(" ");
  if (requestLine.length !== 3) throw new HttpParseError(400, "malformed request line");
  const [method, target, proto] = requestLine;
  if (!TOKEN.test(method)) throw new HttpParseError(400, "malformed method");
  if (proto !== "HTTP/1.1" && proto !== "HTTP/1.0") throw new HttpParseError(505, `unsupported protocol ${proto.slice(0, 16)}`);
  if (!target || /[\s\x00-\x1f]/.test(target)) throw new HttpParseError(400, "malformed request target");
  const headers: Array<readonly [string, string]> = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(":");
    // RFC 9112 §5.1: no whitespace between field name and colon; obs-fold is rejected (§5.2).
    if (colon <= 0) throw new HttpParseError(400, "malformed header line");
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) throw new HttpParseError(400, "malformed header name");
    headers.push([name.toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return { method, target, version: proto === "HTTP/1.1" ? "1.1" : "1.0", headers, length: end + 4 };
}

export function headerValue(head: RequestHead, name: string): string | undefined {
  for (const [n, v] of head.headers) if (n === name) return v;
  return undefined;
}

export type BodyFraming = { readonly kind: "none" } | { readonly kind: "chunked" } | { readonly kind: "length"; readonly length: number };

/**
 * How the request body is delimited (RFC 9112 §6.3), refusing every ambiguous head a front and
 * a back end could read two ways (request smuggling, RFC 9112 §11.2): Transfer-Encoding with
 * Content-Length → 400 (§6.1 allows rejecting it); a coding list whose last is not `chunked` → 400
 * (§6.3 item 4); any coding besides `chunked` → 501 (we decode no others); Content-Length values
 * that differ or are not digits → 400 (§6.3 item 5), whether in one field or in several.
 */
export function bodyFraming(head: RequestHead): BodyFraming {
  const te: string[] = [];
  const cl: string[] = [];
  for (const [n, v] of head.headers) {
    if (n === "transfer-encoding") te.push(...v.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean));
    else if (n === "content-length") cl.push(...v.split(",").map((s) => s.trim()));
  }
  const hasTe = head.headers.some(([n]) => n === "transfer-encoding");
  if (hasTe && cl.length) throw new HttpParseError(400, "both transfer-encoding and content-length");
  if (hasTe) {
    if (te.at(-1) !== "chunked") throw new HttpParseError(400, "transfer-encoding does not end with chunked");
    if (te.length !== 1) throw new HttpParseError(501, `transfer-encoding ${te.join(", ")} not supported`);
    return { kind: "chunked" };
  }
  if (!cl.length) return { kind: "none" };
  if (!cl.every((v) => /^\d+$/.test(v) && v === cl[0])) throw new HttpParseError(400, "malformed content-length");
  return { kind: "length", length: Number(cl[0]) };
}
