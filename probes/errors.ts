/** @module Errors shared by the probe codecs. */

/**
 * Bytes from a peer that we could not decode. Subclasses SyntaxError (Deno std error policy)
 * and is classified as `malformed` by runProbe.
 *
 * Message style: "Cannot decode PFCP header: length 24 exceeds remaining 8 bytes".
 */
export class DecodeError extends SyntaxError {
  readonly protocol: string;
  readonly offset: number;
  constructor(protocol: string, offset: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DecodeError";
    this.protocol = protocol;
    this.offset = offset;
  }
}

/** A failure the probe already classified (e.g. a closed connection before an answer). */
export class ProbeFailureError extends Error {
  readonly kind: import("./types.ts").FailureKind;
  readonly reason?: string;
  constructor(kind: import("./types.ts").FailureKind, message: string, options?: ErrorOptions & { reason?: string }) {
    super(message, options);
    this.name = "ProbeFailureError";
    this.kind = kind;
    this.reason = options?.reason;
  }
}
