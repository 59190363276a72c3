/**
 * @module What every HTML page of the collector (the dashboard, the login page) is sent with, and
 * the one escaper for text put into them.
 */

/**
 * Headers of an HTML page under `csp`: the type with its charset, no MIME sniffing (Fetch
 * §3.5 `X-Content-Type-Options`), no Referer leaking the page's URL (W3C Referrer Policy), plus `extra`.
 * @example new Response(page, { headers: htmlHeaders(CSP, { "cache-control": "no-store" }) })
 */
export function htmlHeaders(csp: string, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return { "content-type": "text/html; charset=utf-8", "content-security-policy": csp, "x-content-type-options": "nosniff", "referrer-policy": "no-referrer", ...extra };
}

/** Text and attribute values made safe for HTML: `& < > " '` as numeric character references. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
