/**
 * @module Who is asking: one place that turns a request into a principal (read side) or an agent
 * grant (ingest), from the `auth:` config. Swappable at run time (`reload`, on SIGHUP).
 *
 * Order on the read side: an `Authorization: Bearer` API token, else the session cookie, else the
 * trusted proxy's user header (only from a configured address), else `publicRead`. A request that
 * presents a bearer token that is not valid is refused, never downgraded to anonymous.
 */
import type { AuthConfig } from "./auth_config.ts";
import { type AddressMatcher, addressMatcher } from "./address_list.ts";
import type { Principal, ReadRole } from "./roles.ts";
import { SecretTable } from "./secret_digest.ts";
import { createSessionStore, type SessionStore } from "./session_store.ts";

export const SESSION_COOKIE = "edgeprobe_session";

/** What an ingest token admits: one agent id, or any (the shared token). */
export interface AgentGrant {
  /** undefined = the shared token: any agent id. */
  readonly agentId?: string;
}

export interface Authenticator {
  /** The read-side principal of a request; undefined = no (valid) credentials. */
  principal(req: Request, remoteAddress: string | undefined): Principal | undefined;
  /** The agent grant of an ingest bearer token; undefined = unknown token. */
  agent(token: string): AgentGrant | undefined;
  /** The user's role when the name exists (the password is checked by the login route). */
  user(name: string): { readonly role: ReadRole; readonly passwordHash: string } | undefined;
  readonly sessions: SessionStore;
  readonly publicRead: () => boolean;
  /** Take a new `auth:` section; sessions of removed users or changed roles end. */
  reload(config: AuthConfig): void;
}

/** The value of one cookie in a `Cookie` header (RFC 6265 §5.4), or undefined. */
export function cookieValue(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1), "" when absent. */
export function bearerToken(req: Request): string | undefined {
  const h = req.headers.get("authorization");
  if (h === null) return undefined;
  return /^Bearer\s+/i.test(h) ? h.replace(/^Bearer\s+/i, "").trim() : "";
}

interface Tables {
  readonly config: AuthConfig;
  readonly agents: SecretTable<AgentGrant>;
  readonly apiTokens: SecretTable<Principal>;
  readonly proxy?: { readonly trusted: AddressMatcher; readonly header: string; readonly role: ReadRole };
}

function tables(config: AuthConfig): Tables {
  const agents: Array<[string, AgentGrant]> = Object.entries(config.tokens).map(([agentId, t]) => [t, { agentId }]);
  if (config.sharedToken !== undefined) agents.push([config.sharedToken, {}]);
  const p = config.trustedProxy;
  return {
    config,
    agents: new SecretTable(agents),
    apiTokens: new SecretTable(Object.entries(config.apiTokens).map(([name, t]) => [t.token, { name, role: t.role, via: "token" as const }])),
    ...(p ? { proxy: { trusted: addressMatcher(p.addresses), header: p.userHeader, role: p.role } } : {}),
  };
}

export function createAuthenticator(config: AuthConfig, deps: { now: () => number }): Authenticator {
  let t = tables(config);
  const sessions = createSessionStore({ idleMs: config.sessions.idle, maxAgeMs: config.sessions.maxAge, maxSessions: config.sessions.max, now: deps.now });
  const PROXY_NAME = /^[\x21-\x7e]{1,128}$/;
  return {
    principal(req, remoteAddress) {
      const bearer = bearerToken(req);
      if (bearer !== undefined) return t.apiTokens.find(bearer);
      const sid = cookieValue(req.headers.get("cookie"), SESSION_COOKIE);
      if (sid) {
        const s = sessions.get(sid);
        if (s) return { name: s.user, role: s.role, via: "session" };
      }
      const proxy = t.proxy;
      if (proxy && proxy.trusted(remoteAddress)) {
        const name = req.headers.get(proxy.header);
        if (name && PROXY_NAME.test(name)) return { name, role: t.config.users[name]?.role ?? proxy.role, via: "proxy" };
      }
      return t.config.publicRead ? { name: "anonymous", role: "viewer", via: "public" } : undefined;
    },
    agent: (token) => t.agents.find(token),
    user: (name) => Object.hasOwn(t.config.users, name) ? t.config.users[name] : undefined,
    sessions,
    publicRead: () => t.config.publicRead,
    reload(next) {
      const old = t.config.users;
      t = tables(next);
      // A removed user, a changed role or a changed password ends that user's sessions.
      sessions.retain((user, role) => Object.hasOwn(next.users, user) && next.users[user].role === role && next.users[user].passwordHash === old[user]?.passwordHash);
    },
  };
}
