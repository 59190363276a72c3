/**
 * @module Password hashes for dashboard users: scrypt from `node:crypto` (the same on Bun and
 * Deno, no native add-on), stored in the PHC string format
 * `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` (base64 without padding, as passlib writes it).
 *
 * Cost: N = 2^15, r = 8, p = 1 takes 32 MiB and, measured on this project's CI machine, about
 * 70 ms per verification. Percival's scrypt paper (2009, §6) gives N = 2^14, r = 8 for
 * interactive logins under 100 ms on 2009 hardware; one step more for today's.
 * `edgeprobe hash-password` prints a hash for the config.
 */
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

export const SCRYPT_DEFAULTS = { ln: 15, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;
// RFC 7914 §2: memory is 128 * r * N bytes (× p when parallel); the bound rejects a config hash
// whose parameters would make one login cost more than this.
const MAX_MEMORY = 256 * 1024 * 1024;
const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{16,})\$([A-Za-z0-9+/]{32,})$/;

const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64").replace(/=+$/, "");

function derive(password: string, salt: Uint8Array, p: { ln: number; r: number; p: number }, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize("NFC"), salt, length, { N: 2 ** p.ln, r: p.r, p: p.p, maxmem: MAX_MEMORY + 1024 * 1024 }, (e, key) => e ? reject(e) : resolve(key));
  });
}

/** Parsed parameters of a stored hash, or a sentence saying why it is not one. */
export function parsePasswordHash(encoded: string): { ln: number; r: number; p: number; salt: Buffer; hash: Buffer } | string {
  const m = PHC.exec(encoded);
  if (!m) return "expected $scrypt$ln=15,r=8,p=1$<salt>$<hash> as printed by edgeprobe hash-password";
  const [ln, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (ln < 10 || ln > 20 || r < 1 || p < 1) return `scrypt parameters ln=${ln},r=${r},p=${p} are outside ln 10-20, r ≥ 1, p ≥ 1`;
  if (128 * r * 2 ** ln * p > MAX_MEMORY) return `scrypt parameters ln=${ln},r=${r},p=${p} need more than ${MAX_MEMORY / 1024 / 1024} MiB per login`;
  return { ln, r, p, salt: Buffer.from(m[4], "base64"), hash: Buffer.from(m[5], "base64") };
}

/** A new PHC scrypt string for `password`, with a fresh random salt. */
export async function hashPassword(password: string, params: { ln: number; r: number; p: number } = SCRYPT_DEFAULTS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params, KEY_BYTES);
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${b64(salt)}$${b64(key)}`;
}

/** True when `password` matches the stored hash; false for a wrong password or a malformed hash. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const h = parsePasswordHash(encoded);
  if (typeof h === "string") return false;
  const key = await derive(password, h.salt, h, h.hash.length);
  return timingSafeEqual(key, h.hash);
}
