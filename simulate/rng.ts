/**
 * @module A seeded pseudo-random generator (mulberry32, 32-bit state), so a simulated fleet is
 * the same fleet on every run with the same seed: a failing lab run can be replayed.
 */

/** Uniform in [0, 1). */
export type Random = () => number;

/** mulberry32 (Tommy Ettinger, public domain): one add, two multiplies per draw. */
export function seededRandom(seed: number): Random {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform in [min, max). */
export function between(random: Random, min: number, max: number): number {
  return min + random() * (max - min);
}
