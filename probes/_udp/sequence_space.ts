/** @module Sequence numbers unique among outstanding requests (29.244 §6.4, 29.274 §7.6, 29.281 §5.1). */

export class SequenceSpace {
  readonly min: number;
  readonly max: number;
  private next: number;
  /**
   * @param min lowest value used (1 for every kind here: 0 stays free for "no sequence").
   * @param max highest value: 0xFFFFFF (PFCP), 0x7FFFFF (GTPv2-C, top bit 0), 0xFFFF (GTPv1).
   * @param start first value; random by default so that a restarted agent does not reuse the
   *   numbers of its previous life that may still be in flight.
   */
  constructor(min: number, max: number, start = min + Math.floor(Math.random() * (max - min + 1))) {
    if (!(min <= start && start <= max)) throw new RangeError(`Cannot start sequence space at ${start}: outside ${min}-${max}`);
    this.min = min;
    this.max = max;
    this.next = start;
  }
  /** The next value not in `inUse`, wrapping from max to min. */
  take(inUse: { has(n: number): boolean; readonly size: number }): number {
    if (inUse.size > this.max - this.min) throw new RangeError(`Cannot take a sequence number: all ${this.max - this.min + 1} are outstanding`);
    for (;;) {
      const n = this.next;
      this.next = n >= this.max ? this.min : n + 1;
      if (!inUse.has(n)) return n;
    }
  }
}
