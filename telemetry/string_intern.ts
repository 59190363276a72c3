/**
 * @module Short ASCII strings of the wire read once and handed out again: the one-pass batch
 * decoder (batch_fast_decode.ts) takes a batch's string table (probe names, kinds, fact keys)
 * from here, so the same name is the same string from batch to batch.
 *
 * Why: a fresh string per name and batch is built char by char and hashed again by every Map or
 * Set lookup it meets (the ingest limits, the read model's node and fleet maps); a string met
 * before keeps its hash. Measured (bun --cpu-prof, the collector's in-process ingest with 5 s
 * batches): building the table's strings and the first lookups of them were ~8 % of ingest CPU
 * (docs/benchmarks.md).
 *
 * Bounded: at most `max` strings of at most `maxChars` characters are kept (4,096 × 256 by
 * default: about 1 MiB); when full it starts again empty, so a sender of ever new strings costs
 * the lookups it would have cost anyway and no more memory.
 */

export interface StringIntern {
  /** The ASCII bytes b[start, end) as a string (the caller checked them ASCII). */
  get(b: Uint8Array, start: number, end: number): string;
  /** Strings held now. */
  readonly size: number;
}

/**
 * @param max most strings held
 * @param maxChars longer strings are built every time and not kept
 * @param mask hash bits used (tests narrow it to force collisions)
 */
export function newStringIntern(max = 4096, maxChars = 256, mask = 0xffffffff): StringIntern {
  let held = new Map<number, string>();
  const build = (b: Uint8Array, start: number, end: number): string => {
    // Short strings char by char (as cbor-x does), longer ones in one call.
    if (end - start <= 16) {
      let s = "";
      for (let i = start; i < end; i++) s += String.fromCharCode(b[i]);
      return s;
    }
    return String.fromCharCode.apply(null, b.subarray(start, end) as unknown as number[]);
  };
  return {
    get(b, start, end) {
      const n = end - start;
      if (n > maxChars) return build(b, start, end);
      // FNV-1a over the bytes (http://www.isthe.com/chongo/tech/comp/fnv/), 32 bits.
      let h = 0x811c9dc5;
      for (let i = start; i < end; i++) h = Math.imul(h ^ b[i], 0x01000193);
      h = (h & mask) >>> 0;
      const s = held.get(h);
      if (s !== undefined && s.length === n) {
        let same = true;
        for (let i = 0; i < n; i++) {
          if (s.charCodeAt(i) !== b[start + i]) {
            same = false;
            break;
          }
        }
        if (same) return s;
      }
      const fresh = build(b, start, end);
      if (held.size >= max) held = new Map();
      held.set(h, fresh);
      return fresh;
    },
    get size() {
      return held.size;
    },
  };
}
