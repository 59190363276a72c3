/**
 * @module Dashboard sessions: a random 256-bit id in an HttpOnly cookie, kept in memory by its
 * SHA-256 digest (secret_digest.ts), with an idle lifetime and a cap on how many exist.
 *
 * Memory bound: `maxSessions` entries of about 200 bytes; when full, the least recently used
 * session is dropped (a Map keeps insertion order and a touch re-inserts). Sessions do not
 * survive a restart: users log in again, which a NOC accepts for a collector upgrade.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { ReadRole } from "./roles.ts";
import { secretDigest } from "./secret_digest.ts";

export interface Session {
  readonly user: string;
  readonly role: ReadRole;
  readonly createdAt: number;
  lastUsed: number;
}

export interface SessionStoreOptions {
  /** A session unused for this long is gone. @default 12h */
  readonly idleMs: number;
  /** A session is gone this long after login, used or not. @default 7d */
  readonly maxAgeMs: number;
  /** At most this many sessions; the least recently used goes first. @default 10000 */
  readonly maxSessions: number;
  readonly now: () => number;
}

export interface SessionStore {
  /** A new session id (the cookie value) for a user who just proved their password. */
  create(user: string, role: ReadRole): string;
  /** The live session for a cookie value, touched; undefined when unknown or expired. */
  get(id: string): Session | undefined;
  delete(id: string): void;
  /** Drop every session of users not in `keep` or whose role changed (after a config reload). */
  retain(keep: (user: string, role: ReadRole) => boolean): number;
  size(): number;
}

const ID = /^[A-Za-z0-9_-]{43}$/;

export function createSessionStore(o: SessionStoreOptions): SessionStore {
  const sessions = new Map<string, Session & { digest: Buffer }>();
  const alive = (s: Session, t: number) => t - s.lastUsed < o.idleMs && t - s.createdAt < o.maxAgeMs;
  return {
    create(user, role) {
      const id = randomBytes(32).toString("base64url");
      const hex = secretDigest(id);
      const t = o.now();
      while (sessions.size >= o.maxSessions) sessions.delete(sessions.keys().next().value!);
      sessions.set(hex, { user, role, createdAt: t, lastUsed: t, digest: Buffer.from(hex, "hex") });
      return id;
    },
    get(id) {
      if (!ID.test(id)) return undefined;
      const hex = secretDigest(id);
      const s = sessions.get(hex);
      if (!s || !timingSafeEqual(s.digest, Buffer.from(hex, "hex"))) return undefined;
      const t = o.now();
      sessions.delete(hex);
      if (!alive(s, t)) return undefined;
      s.lastUsed = t;
      sessions.set(hex, s);
      return s;
    },
    delete(id) {
      if (ID.test(id)) sessions.delete(secretDigest(id));
    },
    retain(keep) {
      let dropped = 0;
      for (const [k, s] of sessions) {
        if (!keep(s.user, s.role)) {
          sessions.delete(k);
          dropped++;
        }
      }
      return dropped;
    },
    size: () => sessions.size,
  };
}
