/** @module Decode a chunked request body (RFC 9112 §7.1); pure. */
import { HttpParseError } from "./http1_head.ts";

/**
 * Decode a whole chunked body starting at `offset`. Returns undefined until the last chunk and
 * the trailer section have arrived; throws HttpParseError for a broken encoding or a body over `max`.
 */
export function decodeChunked(buf: Uint8Array, offset: number, max: number): { body: Uint8Array<ArrayBuffer>; end: number } | undefined {
  const parts: Uint8Array[] = [];
  let size = 0;
  let i = offset;
  for (;;) {
    const lineEnd = indexOfCrlf(buf, i);
    if (lineEnd < 0) {
      if (buf.length - i > 1024) throw new HttpParseError(400, "chunk size line too long");
      return undefined;
    }
    const line = new TextDecoder().decode(buf.subarray(i, lineEnd)).split(";")[0].trim();
    if (!/^[0-9a-fA-F]{1,8}$/.test(line)) throw new HttpParseError(400, "malformed chunk size");
    const n = parseInt(line, 16);
    i = lineEnd + 2;
    if (n === 0) {
      // Trailer section ends with an empty line (§7.1.2).
      for (;;) {
        const e = indexOfCrlf(buf, i);
        if (e < 0) return undefined;
        const empty = e === i;
        i = e + 2;
        if (empty) break;
      }
      const body = new Uint8Array(size);
      let o = 0;
      for (const p of parts) {
        body.set(p, o);
        o += p.length;
      }
      return { body, end: i };
    }
    size += n;
    if (size > max) throw new HttpParseError(413, `body exceeds ${max} bytes`);
    if (buf.length < i + n + 2) return undefined;
    parts.push(buf.subarray(i, i + n));
    if (buf[i + n] !== 13 || buf[i + n + 1] !== 10) throw new HttpParseError(400, "chunk not followed by CRLF");
    i += n + 2;
  }
}

function indexOfCrlf(buf: Uint8Array, from: number): number {
  for (let i = from; i + 1 < buf.length; i++) if (buf[i] === 13 && buf[i + 1] === 10) return i;
  return -1;
}
