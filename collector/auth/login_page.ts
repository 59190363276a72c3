/**
 * @module The dashboard's login page: a plain HTML form posting to `/login`, no script at all,
 * so it works with JavaScript off and needs nothing but itself. Its one `<style>` is allowed by
 * hash in the Content-Security-Policy (CSP Level 3 §8.2 "hash-source").
 */
import { createHash } from "node:crypto";
import { escapeHtml, htmlDocument } from "../html.ts";

const STYLE = `body{margin:0;min-height:100vh;display:grid;place-items:center;background:#0f1419;color:#d8dee4;font:15px system-ui,sans-serif}
form{display:grid;gap:.8rem;width:min(20rem,90vw);padding:2rem;background:#161c23;border:1px solid #2a333d;border-radius:6px}
h1{margin:0 0 .4rem;font-size:1.1rem;font-weight:600}
label{display:grid;gap:.3rem;font-size:.85rem;color:#9aa5b1}
input{padding:.5rem;background:#0f1419;color:#d8dee4;border:1px solid #2a333d;border-radius:4px;font-size:1rem}
button{padding:.55rem;background:#1f6feb;color:#fff;border:0;border-radius:4px;font-size:1rem;cursor:pointer}
p.error{margin:0;color:#ff7b72;font-size:.85rem}`;

const STYLE_HASH = `sha256-${createHash("sha256").update(STYLE).digest("base64")}`;

/** CSP of the login page: nothing loads, the form posts only to this origin. */
export const LOGIN_CSP = `default-src 'none'; style-src '${STYLE_HASH}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`;

/** The page; `error` is shown above the button (already a full sentence). */
export function loginPage(options: { readonly title: string; readonly error?: string; readonly user?: string }): string {
  return htmlDocument(`Log in · ${options.title}`, `<style>${STYLE}</style>\n`, `<form method="post" action="/login">
<h1>${escapeHtml(options.title)}</h1>
<label>User<input name="user" autocomplete="username" required maxlength="64" value="${escapeHtml(options.user ?? "")}" autofocus></label>
<label>Password<input name="password" type="password" autocomplete="current-password" required maxlength="1024"></label>
${options.error ? `<p class="error" role="alert">${escapeHtml(options.error)}</p>\n` : ""}<button type="submit">Log in</button>
</form>
`);
}
