/**
 * @module SIP over a byte stream (RFC 3261 §18.3): a message ends after the empty line plus
 * Content-Length body bytes. Resumes across split reads and splits merged ones.
 */
import { DecodeError } from "../errors.ts";
import { parseContentLength } from "./message.ts";
import { StreamFramer } from "../_wire/stream_framer.ts";

/** Headers larger than this without an empty line are treated as garbage, not buffered forever. */
export const MAX_SIP_HEADER_BYTES = 65_536;
/** Bodies larger than this are refused (an OPTIONS answer carries at most an SDP). */
export const MAX_SIP_BODY_BYTES = 1_048_576;

const CR = 13, LF = 10;

/** Offset just past `\r\n\r\n` at or after `from`, or -1. */
function endOfHeaders(buf: Uint8Array, from: number): number {
  for (let i = from; i + 3 < buf.length; i++) {
    if (buf[i] === CR && buf[i + 1] === LF && buf[i + 2] === CR && buf[i + 3] === LF) return i + 4;
  }
  return -1;
}

/**
 * Length of the first complete SIP message in `buffered` (which starts at a start line),
 * or undefined when more bytes are needed.
 * @throws DecodeError when the headers exceed {@link MAX_SIP_HEADER_BYTES} or Content-Length is
 * missing or not a number (it is mandatory on streams, RFC 3261 §18.3 / §20.14).
 */
export function sipFrameLength(buffered: Uint8Array): number | undefined {
  const end = endOfHeaders(buffered, 0);
  if (end < 0) {
    if (buffered.length > MAX_SIP_HEADER_BYTES) {
      throw new DecodeError("sip", buffered.length, `Cannot frame SIP message: no end of headers within ${MAX_SIP_HEADER_BYTES} bytes`);
    }
    return undefined;
  }
  const head = new TextDecoder().decode(buffered.subarray(0, end));
  const m = /\r\n(?:content-length|l)[ \t]*:([^\r\n]*)/i.exec(head);
  if (!m) throw new DecodeError("sip", 0, "Cannot frame SIP message: no Content-Length header on a stream transport");
  const bodyLength = parseContentLength(m[1], m.index);
  if (bodyLength > MAX_SIP_BODY_BYTES) {
    throw new DecodeError("sip", m.index, `Cannot frame SIP message: Content-Length ${bodyLength} exceeds ${MAX_SIP_BODY_BYTES}`);
  }
  const total = end + bodyLength;
  return buffered.length >= total ? total : undefined;
}

/** Leading CRLF keep-alives (RFC 5626 §3.5.1) in front of a message. */
function keepAlives(buf: Uint8Array): number {
  let skip = 0;
  while (skip < buf.length && (buf[skip] === CR || buf[skip] === LF)) skip++;
  return skip;
}

/** Accumulates stream bytes and yields whole SIP messages. Leading CRLF keep-alives are skipped. */
export class SipFramer extends StreamFramer {
  constructor() {
    super(sipFrameLength, keepAlives);
  }
}
