/** @module Hop-by-Hop and End-to-End identifiers (RFC 6733 §3). */

/**
 * One source per connection (Hop-by-Hop must be unique on it) and per node (End-to-End).
 * End-to-End starts with the low 12 bits of the time in its high 12 bits and random low 20 bits,
 * then increments (§3); Hop-by-Hop starts random and increments.
 */
export class IdSource {
  private hop: number;
  private e2e: number;
  constructor(nowMs: number = Date.now()) {
    const rnd = crypto.getRandomValues(new Uint32Array(2));
    this.hop = rnd[0];
    this.e2e = ((((Math.floor(nowMs / 1000) & 0xfff) << 20) >>> 0) | (rnd[1] & 0xfffff)) >>> 0;
  }
  next(): { hopByHop: number; endToEnd: number } {
    this.hop = (this.hop + 1) >>> 0;
    this.e2e = (this.e2e + 1) >>> 0;
    return { hopByHop: this.hop, endToEnd: this.e2e };
  }
}
