/**
 * @module The read side's door, as Hono middleware: `authGate` admits a request with a principal
 * (authenticator.ts) or answers 401 problem+json; `requireRole("operator")` guards actions.
 *
 * Cookie-authenticated requests that change state must come from this origin (the Origin header,
 * or `Sec-Fetch-Site: same-origin`): SameSite=Strict already keeps the cookie off cross-site
 * requests in current browsers (RFC 6265bis §8.8.2), the Origin check covers the rest (OWASP CSRF
 * cheat sheet, "Verifying Origin with standard headers").
 */
import type { Context, MiddlewareHandler } from "hono";
import { problem } from "../problem.ts";
import type { Authenticator } from "./authenticator.ts";
import { type Principal, type ReadRole, roleAllows } from "./roles.ts";
import { createTokenBuckets } from "../token_bucket.ts";
import { sleep } from "../../common/abortable.ts";

/** Hono environment of the collector's app: the peer address in, the principal out. */
export type AuthEnv = {
  Bindings: { remoteAddress?: string; keepOpen?: () => void };
  Variables: { principal: Principal };
};

export const AUTH_REALM = 'Bearer realm="edgeprobe"';
const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);
/** How long a rate-limited answer is held; held answers count against limits.maxInFlight*. */
export const REFUSAL_HOLD_MS = 500;

export function unauthorized(detail = "Cannot read this collector: log in, or send an API token as Authorization: Bearer"): Response {
  return problem({ type: "unauthorized", title: "Unauthorized", status: 401, detail }, { "www-authenticate": AUTH_REALM, "cache-control": "no-store" });
}

function forbidden(detail: string): Response {
  return problem({ type: "forbidden", title: "Forbidden", status: 403, detail }, { "cache-control": "no-store" });
}

/** Same-origin test for a state-changing request (Fetch Metadata, then Origin). */
export function sameOrigin(req: Request): boolean {
  const site = req.headers.get("sec-fetch-site");
  if (site !== null) return site === "same-origin" || site === "none";
  const origin = req.headers.get("origin");
  return origin === null || origin === new URL(req.url).origin;
}

export interface AuthGateOptions {
  /** Paths anyone may reach: /healthz, the login page. */
  readonly openPaths: ReadonlySet<string>;
  /**
   * Requests per second one principal may make (bursts of twice that); more get 429 before any
   * route runs. Anonymous readers (publicRead) are counted per address. @default unlimited
   */
  readonly requestsPerSecond?: () => number;
}

/**
 * Decide who is asking and whether the request may proceed; anything else is refused before
 * a route runs. A browser asking for the dashboard page without a session is sent to /login.
 */
export function authorize(authn: Authenticator, req: Request, need: ReadRole, remoteAddress: string | undefined): Principal | Response {
  const p = authn.principal(req, remoteAddress);
  if (!p) return unauthorized();
  if (p.via === "session" && !SAFE.has(req.method) && !sameOrigin(req)) return forbidden("Cannot accept a cross-origin request with a session cookie");
  if (!roleAllows(p.role, need)) {
    // Anonymous (publicRead) may still log in for more: 401, not 403.
    if (p.via === "public") return unauthorized(`Cannot ${req.method} ${new URL(req.url).pathname}: this needs a logged-in ${need}`);
    return forbidden(`Cannot ${req.method} ${new URL(req.url).pathname}: ${p.name} is a ${p.role}, this needs ${need}`);
  }
  return p;
}

export function authGate(authn: Authenticator, options: AuthGateOptions): MiddlewareHandler<AuthEnv> {
  const buckets = createTokenBuckets();
  return async (c, next) => {
    if (options.openPaths.has(c.req.path)) return await next();
    const r = authorize(authn, c.req.raw, "viewer", c.env?.remoteAddress);
    if (r instanceof Response) {
      const path = c.req.path;
      if (r.status === 401 && c.req.method === "GET" && (path === "/" || path === "/index.html") && (c.req.header("accept") ?? "").includes("text/html")) {
        return new Response(null, { status: 303, headers: { location: "/login", "cache-control": "no-store" } });
      }
      return r;
    }
    const rps = options.requestsPerSecond?.();
    if (rps !== undefined && !buckets.take(r.via === "public" ? `public:${c.env?.remoteAddress}` : `${r.via}:${r.name}`, rps)) {
      // Held before the 429: a client in a tight loop cannot turn cheap refusals into load
      // (measured: 20 looping clients drew ~10,000 refusals a second without the hold).
      await sleep(REFUSAL_HOLD_MS);
      return problem({ type: "too-many-requests", title: "Too Many Requests", status: 429, detail: `Cannot take more requests from ${r.name}: limits.requestsPerSecond = ${rps}` }, { "retry-after": "1" });
    }
    c.set("principal", r);
    await next();
  };
}

/** Route guard for actions: `app.post("/api/v1/alarms/:id/ack", requireRole("operator"), handler)`. */
export function requireRole(need: ReadRole): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const p = c.get("principal");
    if (!p) return unauthorized();
    if (!roleAllows(p.role, need) && p.via === "public") return unauthorized(`Cannot ${c.req.method} ${c.req.path}: this needs a logged-in ${need}`);
    if (!roleAllows(p.role, need)) return forbidden(`Cannot ${c.req.method} ${c.req.path}: ${p.name} is a ${p.role}, this needs ${need}`);
    await next();
  };
}

/** The principal the gate admitted (undefined on open paths). */
export function principalOf(c: Context<AuthEnv>): Principal | undefined {
  return c.get("principal");
}
