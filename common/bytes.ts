/** @module Byte-array helpers shared by every layer. */

/**
 * The chunks one after another in a new array (a copy even for one chunk: the caller may keep the
 * result while the chunks' buffers are reused). `size` when the caller has summed the lengths.
 * @example concatBytes([head, body])
 */
export function concatBytes(chunks: readonly Uint8Array[], size?: number): Uint8Array<ArrayBuffer> {
  if (size === undefined) {
    size = 0;
    for (const c of chunks) size += c.length;
  }
  const out = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}
