/**
 * @module Secrets compared in constant time.
 *
 * A bearer token or a session id is hashed with SHA-256 before any lookup, so the map lookup
 * compares digests an attacker cannot steer byte by byte, and the final equality is
 * `crypto.timingSafeEqual` on two 32-byte digests (equal lengths, so the length of the secret
 * leaks nothing either). Node.js docs, crypto.timingSafeEqual: "the time taken is independent of
 * the contents". One SHA-256 of a 40-byte token costs about a microsecond.
 */
import { createHash, timingSafeEqual } from "node:crypto";

/** SHA-256 of a secret, hex: the key under which a token or a session id is stored. */
export function secretDigest(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** True when both secrets are equal; the time taken does not depend on where they differ. */
export function sameSecret(a: string, b: string): boolean {
  const da = createHash("sha256").update(a, "utf8").digest();
  const db = createHash("sha256").update(b, "utf8").digest();
  return timingSafeEqual(da, db);
}

/**
 * A set of secrets, each with a value, found by digest. `find` hashes once and compares the
 * stored digest in constant time.
 */
export class SecretTable<T> {
  readonly #byDigest = new Map<string, { digest: Buffer; value: T }>();

  constructor(entries: Iterable<readonly [secret: string, value: T]>) {
    for (const [secret, value] of entries) {
      const hex = secretDigest(secret);
      this.#byDigest.set(hex, { digest: Buffer.from(hex, "hex"), value });
    }
  }

  get size(): number {
    return this.#byDigest.size;
  }

  find(secret: string): T | undefined {
    if (secret === "" || this.#byDigest.size === 0) return undefined;
    const hex = secretDigest(secret);
    const hit = this.#byDigest.get(hex);
    if (!hit) return undefined;
    return timingSafeEqual(hit.digest, Buffer.from(hex, "hex")) ? hit.value : undefined;
  }
}
