/**
 * @module What a password guesser can cost: each verification is a 32 MiB, ~70 ms scrypt
 * (password_hash.ts), so at most `concurrent` run at once (more get 503 at once, before any
 * hashing), and an address with `maxFailures` failed logins within `windowMs` gets 429 until the
 * window passes. The failure table holds at most `maxAddresses` entries (oldest dropped first).
 */

export interface LoginGuardOptions {
  /** @default 2 */
  readonly concurrent: number;
  /** @default 10 */
  readonly maxFailures: number;
  /** @default 300000 (5 min) */
  readonly windowMs: number;
  /** @default 10000 */
  readonly maxAddresses: number;
  readonly now: () => number;
}

export type LoginAdmission = { readonly ok: true; release(success: boolean): void } | { readonly ok: false; readonly status: 429 | 503; readonly retryAfterS: number; readonly reason: string };

export interface LoginGuard {
  admit(address: string): LoginAdmission;
}

export const LOGIN_GUARD_DEFAULTS = { concurrent: 2, maxFailures: 10, windowMs: 300_000, maxAddresses: 10_000 } as const;

export function createLoginGuard(o: LoginGuardOptions): LoginGuard {
  let running = 0;
  const failures = new Map<string, { first: number; count: number }>();
  return {
    admit(address) {
      const t = o.now();
      const f = failures.get(address);
      if (f && t - f.first >= o.windowMs) failures.delete(address);
      else if (f && f.count >= o.maxFailures) {
        return { ok: false, status: 429, retryAfterS: Math.ceil((f.first + o.windowMs - t) / 1000), reason: `${o.maxFailures} failed logins from this address within ${o.windowMs / 1000} s` };
      }
      if (running >= o.concurrent) return { ok: false, status: 503, retryAfterS: 1, reason: `${o.concurrent} logins are being checked already` };
      running++;
      let done = false;
      return {
        ok: true,
        release(success) {
          if (done) return;
          done = true;
          running--;
          if (success) return void failures.delete(address);
          const cur = failures.get(address);
          if (cur) cur.count++;
          else {
            while (failures.size >= o.maxAddresses) failures.delete(failures.keys().next().value!);
            failures.set(address, { first: o.now(), count: 1 });
          }
        },
      };
    },
  };
}
