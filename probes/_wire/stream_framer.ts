/**
 * @module Messages out of a byte stream (TCP, TLS), for any protocol whose message length can be
 * read from its first bytes: SIP (RFC 3261 §18.3, headers then Content-Length) and Diameter
 * (RFC 6733 §3, the Message Length field). Resumes across split reads, splits merged ones.
 */

/**
 * Length of the first whole message in `buffered` (which starts at a message), or undefined when
 * more bytes are needed. Throws (a DecodeError) when the stream cannot be a message of this
 * protocol, and bounds what it waits for, since the stream cannot be resynchronised.
 */
export type FrameLength = (buffered: Uint8Array) => number | undefined;

/** Bytes to drop in front of a message (SIP's CRLF keep-alives); 0 for none. */
export type FrameSkip = (buffered: Uint8Array) => number;

/** Accumulates stream bytes and yields whole messages, in order, each a copy. */
export class StreamFramer {
  private buf: Uint8Array = new Uint8Array(0);
  constructor(private readonly frameLength: FrameLength, private readonly skip?: FrameSkip) {}

  /** Add bytes; returns every message now complete, in order. @throws what `frameLength` throws. */
  push(chunk: Uint8Array): Uint8Array[] {
    let rest: Uint8Array;
    if (this.buf.length === 0) rest = chunk;
    else {
      rest = new Uint8Array(this.buf.length + chunk.length);
      rest.set(this.buf);
      rest.set(chunk, this.buf.length);
    }
    const out: Uint8Array[] = [];
    for (;;) {
      if (this.skip) rest = rest.subarray(this.skip(rest));
      if (rest.length === 0) break;
      const n = this.frameLength(rest);
      if (n === undefined) break;
      out.push(rest.slice(0, n));
      rest = rest.subarray(n);
    }
    this.buf = rest.slice();
    return out;
  }

  /** Bytes held for an incomplete message. */
  get pending(): number {
    return this.buf.length;
  }
}
