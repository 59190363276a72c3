/**
 * @module Token buckets keyed by a name (a principal), for "at most N per second, bursts of 2N".
 * At most `maxKeys` buckets are kept (the oldest goes first), so free-form names (proxy users)
 * cannot grow it without bound.
 */
export interface TokenBuckets {
  /** Take one token for `key`; false when its bucket is empty. */
  take(key: string, perSecond: number): boolean;
}

export function createTokenBuckets(now: () => number = () => performance.now(), maxKeys = 10_000): TokenBuckets {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key, perSecond) {
      const t = now();
      const cap = 2 * perSecond;
      let b = buckets.get(key);
      if (!b) {
        if (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value!);
        buckets.set(key, b = { tokens: cap, at: t });
      }
      b.tokens = Math.min(cap, b.tokens + ((t - b.at) / 1000) * perSecond);
      b.at = t;
      if (b.tokens < 1) return false;
      b.tokens -= 1;
      return true;
    },
  };
}
