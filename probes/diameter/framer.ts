/**
 * @module Diameter over a byte stream (RFC 6733 §3): the 24-bit Message Length in octets 2-4
 * delimits each message. Resumes across split reads and splits merged ones.
 */
import { DecodeError } from "../errors.ts";
import { DIAMETER_HEADER_LENGTH } from "./message.ts";
import { StreamFramer } from "../_wire/stream_framer.ts";

/** Larger messages are refused: base-protocol answers are a few hundred octets. */
export const MAX_DIAMETER_MESSAGE = 1_048_576;

/**
 * Length of the first message in `buffered` once it is complete, else undefined.
 * @throws DecodeError when the version is not 1 or the length is impossible, since the stream
 *   cannot be resynchronised after that.
 */
export function diameterFrameLength(buffered: Uint8Array): number | undefined {
  if (buffered.length >= 1 && buffered[0] !== 1) {
    throw new DecodeError("diameter", 0, `Cannot frame Diameter message: version ${buffered[0]}, expected 1`);
  }
  if (buffered.length < 4) return undefined;
  const length = (buffered[1] << 16) | (buffered[2] << 8) | buffered[3];
  if (length < DIAMETER_HEADER_LENGTH || length % 4 !== 0 || length > MAX_DIAMETER_MESSAGE) {
    throw new DecodeError("diameter", 1, `Cannot frame Diameter message: Message Length ${length} is not a multiple of 4 between 20 and ${MAX_DIAMETER_MESSAGE}`);
  }
  return buffered.length >= length ? length : undefined;
}

/** Accumulates stream bytes and yields whole Diameter messages in order. @throws DecodeError on a stream that is not Diameter. */
export class DiameterFramer extends StreamFramer {
  constructor() {
    super(diameterFrameLength);
  }
}
