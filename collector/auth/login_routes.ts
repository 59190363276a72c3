/**
 * @module `GET/POST /login`, `POST /logout`, `GET /api/v1/whoami`: people log in to the dashboard
 * with a user name and password (users in the config, scrypt hashes) and get an HttpOnly,
 * SameSite=Strict session cookie (RFC 6265bis §4.1.2.7). Forms post here directly, so the login
 * works without JavaScript; a JSON body gets a JSON answer for scripts and tests.
 */
import { Hono } from "hono";
import { problem } from "../problem.ts";
import { readBodyCapped } from "../../server/read_body.ts";
import type { AuthEnv } from "./auth_gate.ts";
import { sameOrigin, unauthorized } from "./auth_gate.ts";
import { type Authenticator, cookieValue, SESSION_COOKIE } from "./authenticator.ts";
import { createLoginGuard, LOGIN_GUARD_DEFAULTS, type LoginGuardOptions } from "./login_guard.ts";
import { LOGIN_CSP, loginPage } from "./login_page.ts";
import { htmlHeaders } from "../html.ts";
import { hashPassword, verifyPassword } from "./password_hash.ts";

/** A login body is two short fields; anything larger is refused unread. */
export const MAX_LOGIN_BODY_BYTES = 4096;

export interface LoginRoutesOptions {
  readonly authn: Authenticator;
  readonly now: () => number;
  /** Shown on the page. @default "edgeprobe NOC" */
  readonly title?: string;
  /** Session cookie Max-Age (seconds): the session's absolute lifetime. */
  readonly maxAgeS: number;
  readonly guard?: Partial<Omit<LoginGuardOptions, "now">>;
  readonly log?: (level: "info" | "warn", msg: string, fields: Record<string, unknown>) => void;
}

/** Paths of these routes that need no credentials (for the gate's openPaths). */
export const LOGIN_OPEN_PATHS = ["/login", "/logout"] as const;

const html = (body: string, status = 200) =>
  new Response(body, {
    status,
    headers: htmlHeaders(LOGIN_CSP, { "cache-control": "no-store" }),
  });

export function loginRoutes(o: LoginRoutesOptions): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  const title = o.title ?? "edgeprobe NOC";
  const guard = createLoginGuard({ ...LOGIN_GUARD_DEFAULTS, ...o.guard, now: o.now });
  // Unknown users cost one scrypt too, so the answer time does not tell which names exist.
  let dummy: Promise<string> | undefined;

  app.get("/login", (c) => {
    const sid = cookieValue(c.req.header("cookie") ?? null, SESSION_COOKIE);
    if (sid && o.authn.sessions.get(sid)) return c.redirect("/", 303);
    return html(loginPage({ title }));
  });

  app.post("/login", async (c) => {
    const req = c.req.raw;
    const wantsJson = (c.req.header("content-type") ?? "").startsWith("application/json");
    if (!sameOrigin(req)) return problem({ type: "forbidden", title: "Forbidden", status: 403, detail: "Cannot log in from another origin" });
    const bytes = await readBodyCapped(req, MAX_LOGIN_BODY_BYTES);
    const text = bytes && new TextDecoder().decode(bytes);
    if (text === undefined) return problem({ type: "body-too-large", title: "Content Too Large", status: 413, detail: `Cannot log in: the body exceeds ${MAX_LOGIN_BODY_BYTES} bytes` });
    let user = "", password = "";
    if (wantsJson) {
      try {
        const j = JSON.parse(text) as { user?: unknown; password?: unknown };
        if (typeof j.user === "string") user = j.user;
        if (typeof j.password === "string") password = j.password;
      } catch {
        return problem({ type: "bad-request", title: "Bad Request", status: 400, detail: "Cannot log in: the body is not JSON" });
      }
    } else {
      const f = new URLSearchParams(text);
      user = f.get("user") ?? "";
      password = f.get("password") ?? "";
    }
    const address = c.env?.remoteAddress ?? "unknown";
    const admit = guard.admit(address);
    if (!admit.ok) {
      o.log?.("warn", "collector: login refused", { user, address, reason: admit.reason });
      const detail = `Cannot log in now: ${admit.reason}; retry in ${admit.retryAfterS} s`;
      if (!wantsJson) return new Response(loginPage({ title, error: detail, user }), { status: admit.status, headers: htmlHeaders(LOGIN_CSP, { "retry-after": String(admit.retryAfterS), "cache-control": "no-store" }) });
      return problem({ type: admit.status === 429 ? "too-many-logins" : "login-busy", title: admit.status === 429 ? "Too Many Requests" : "Service Unavailable", status: admit.status, detail }, { "retry-after": String(admit.retryAfterS) });
    }
    let ok = false;
    const u = o.authn.user(user);
    try {
      if (u) ok = password !== "" && await verifyPassword(password, u.passwordHash);
      else await verifyPassword(password, await (dummy ??= hashPassword("not a password")));
    } finally {
      admit.release(ok);
    }
    if (!ok || !u) {
      o.log?.("warn", "collector: login failed", { user, address });
      const detail = "Cannot log in: unknown user or wrong password";
      if (!wantsJson) return html(loginPage({ title, error: detail, user }), 401);
      return unauthorized(detail);
    }
    const sid = o.authn.sessions.create(user, u.role);
    o.log?.("info", "collector: login", { user, role: u.role, address });
    const secure = new URL(req.url).protocol === "https:" ? "; Secure" : "";
    const cookie = `${SESSION_COOKIE}=${sid}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${o.maxAgeS}${secure}`;
    if (!wantsJson) return new Response(null, { status: 303, headers: { location: "/", "set-cookie": cookie, "cache-control": "no-store" } });
    return new Response(JSON.stringify({ user, role: u.role }), { headers: { "content-type": "application/json", "set-cookie": cookie, "cache-control": "no-store" } });
  });

  app.post("/logout", (c) => {
    if (!sameOrigin(c.req.raw)) return problem({ type: "forbidden", title: "Forbidden", status: 403, detail: "Cannot log out from another origin" });
    const sid = cookieValue(c.req.header("cookie") ?? null, SESSION_COOKIE);
    if (sid) o.authn.sessions.delete(sid);
    return new Response(null, { status: 303, headers: { location: "/login", "set-cookie": `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`, "cache-control": "no-store" } });
  });

  app.get("/api/v1/whoami", (c) => {
    const p = c.get("principal");
    return c.json({ user: p.name, role: p.role, via: p.via }, 200, { "cache-control": "no-store" });
  });
  return app;
}
