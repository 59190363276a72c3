/** @module The error for bytes we could not decode, shared by the probe codecs and the telemetry codec. */

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
