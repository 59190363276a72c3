/** @module Errors shared by the probe codecs. */
import type { FailureKind } from "../telemetry/wire_tables.ts";

export { DecodeError } from "../common/decode_error.ts";

/** A failure the probe already classified (e.g. a closed connection before an answer). */
export class ProbeFailureError extends Error {
  readonly kind: FailureKind;
  readonly reason?: string;
  constructor(kind: FailureKind, message: string, options?: ErrorOptions & { reason?: string }) {
    super(message, options);
    this.name = "ProbeFailureError";
    this.kind = kind;
    this.reason = options?.reason;
  }
}
