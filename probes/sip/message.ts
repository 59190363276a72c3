/**
 * @module SIP message parsing (RFC 3261 §7): start line, headers (compact forms, folding,
 * comma-separated values) and body. Pure; throws DecodeError for anything that is not SIP.
 */
import { DecodeError } from "../errors.ts";

/** RFC 3261 §7.3.3 compact header forms, mapped to their canonical lower-case names. */
const COMPACT: Readonly<Record<string, string>> = {
  i: "call-id",
  m: "contact",
  e: "content-encoding",
  l: "content-length",
  c: "content-type",
  f: "from",
  s: "subject",
  k: "supported",
  t: "to",
  v: "via",
};

/** Header names whose values may be comma-joined lists (RFC 3261 §7.3.1); others stay whole. */
const LIST_HEADERS = new Set(["via", "allow", "accept", "accept-encoding", "accept-language", "supported", "require", "proxy-require", "unsupported", "route", "record-route"]);

export interface SipResponse {
  readonly type: "response";
  readonly status: number;
  readonly reason: string;
  /** Lower-case canonical header name → values in order (list headers split on top-level commas). */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  readonly body: string;
}

export interface SipRequest {
  readonly type: "request";
  readonly method: string;
  readonly uri: string;
  readonly headers: ReadonlyMap<string, readonly string[]>;
  readonly body: string;
}

export type SipMessage = SipRequest | SipResponse;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Canonical lower-case header name, compact forms expanded. */
export function canonicalHeaderName(name: string): string {
  const lower = name.toLowerCase();
  return COMPACT[lower] ?? lower;
}

/** Split on commas that are outside quoted strings and angle brackets (RFC 3261 §7.3.1). */
export function splitHeaderList(value: string): string[] {
  const out: string[] = [];
  let depthAngle = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (quoted) {
      if (ch === "\\") i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === "<") depthAngle++;
    else if (ch === ">") depthAngle = Math.max(0, depthAngle - 1);
    else if (ch === "," && depthAngle === 0) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out.filter((v) => v.length > 0);
}

/**
 * Decode one SIP message (a UDP datagram or one frame from {@link SipFramer}).
 * @throws DecodeError when the bytes are not UTF-8, the start line is not SIP/2.0, a header line
 * has no colon, or Content-Length disagrees with the body.
 */
export function decodeSipMessage(bytes: Uint8Array): SipMessage {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch (e) {
    throw new DecodeError("sip", 0, "Cannot decode SIP message: not valid UTF-8", { cause: e });
  }
  // RFC 3261 §7.5: implementations should ignore CRLFs before the start line.
  let pos = 0;
  while (text.startsWith("\r\n", pos)) pos += 2;
  const headEnd = text.indexOf("\r\n\r\n", pos);
  if (headEnd < 0) throw new DecodeError("sip", text.length, "Cannot decode SIP message: no empty line ends the headers");
  const lines = text.slice(pos, headEnd).split("\r\n");
  const startLine = lines[0];
  const headers = new Map<string, string[]>();
  let current: { name: string; value: string } | undefined;
  const flush = () => {
    if (!current) return;
    const values = LIST_HEADERS.has(current.name) ? splitHeaderList(current.value) : [current.value.trim()];
    const list = headers.get(current.name) ?? [];
    list.push(...values);
    headers.set(current.name, list);
    current = undefined;
  };
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if ((line.startsWith(" ") || line.startsWith("\t")) && current) {
      // RFC 3261 §7.3.1: a line starting with whitespace continues the previous header (folding).
      current.value += " " + line.trim();
      continue;
    }
    flush();
    const colon = line.indexOf(":");
    if (colon <= 0) {
      throw new DecodeError("sip", pos, `Cannot decode SIP header line ${i + 1}: ${JSON.stringify(line.slice(0, 40))} has no "name:"`);
    }
    const name = line.slice(0, colon).trim();
    if (!/^[A-Za-z0-9!%*_+`'~.-]+$/.test(name)) {
      throw new DecodeError("sip", pos, `Cannot decode SIP header line ${i + 1}: ${JSON.stringify(name)} is not a token`);
    }
    current = { name: canonicalHeaderName(name), value: line.slice(colon + 1) };
  }
  flush();
  let body = text.slice(headEnd + 4);
  const cl = headers.get("content-length");
  if (cl) {
    const n = parseContentLength(cl[0], headEnd);
    const bodyBytes = new TextEncoder().encode(body);
    if (n > bodyBytes.length) {
      throw new DecodeError("sip", headEnd + 4, `Cannot decode SIP body: Content-Length ${n} exceeds the ${bodyBytes.length} bytes present`);
    }
    // RFC 3261 §18.3: over UDP, bytes past Content-Length are discarded.
    body = utf8.decode(bodyBytes.subarray(0, n));
  }

  const status = /^SIP\/2\.0 ([1-6]\d\d) ?(.*)$/.exec(startLine);
  if (status) return { type: "response", status: Number(status[1]), reason: status[2], headers, body };
  const request = /^([A-Za-z]+) (\S+) SIP\/2\.0$/.exec(startLine);
  if (request) return { type: "request", method: request[1], uri: request[2], headers, body };
  throw new DecodeError("sip", pos, `Cannot decode SIP start line: ${JSON.stringify(startLine.slice(0, 60))} is neither a SIP/2.0 request nor a status line`);
}

/** Parse a Content-Length value. @throws DecodeError when it is not a decimal integer. */
export function parseContentLength(value: string, offset: number): number {
  const v = value.trim();
  if (!/^\d{1,9}$/.test(v)) throw new DecodeError("sip", offset, `Cannot decode SIP Content-Length: ${JSON.stringify(v)} is not a number`);
  return Number(v);
}

/** The first value of a header, or undefined. */
export function header(msg: SipMessage, name: string): string | undefined {
  return msg.headers.get(canonicalHeaderName(name))?.[0];
}

/** Parameters of a header value such as a Via: `SIP/2.0/UDP h:p;branch=z9hG4bK1;rport` → {branch, rport: ""}. */
export function headerParams(value: string): Map<string, string> {
  const out = new Map<string, string>();
  // Parameters after the last ">" (name-addr) or after the first ";" (Via, addr-spec).
  const gt = value.lastIndexOf(">");
  const tail = gt >= 0 ? value.slice(gt + 1) : value;
  const parts = tail.split(";").slice(1);
  for (const p of parts) {
    const eq = p.indexOf("=");
    if (eq < 0) out.set(p.trim().toLowerCase(), "");
    else out.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim());
  }
  return out;
}

/** CSeq `314159 OPTIONS` → {seq, method}. @throws DecodeError when malformed. */
export function parseCSeq(value: string): { seq: number; method: string } {
  const m = /^\s*(\d{1,10})\s+([A-Za-z]+)\s*$/.exec(value);
  if (!m) throw new DecodeError("sip", 0, `Cannot decode SIP CSeq: ${JSON.stringify(value)} is not "number METHOD"`);
  return { seq: Number(m[1]), method: m[2].toUpperCase() };
}
