/**
 * @module What every HTML page of the collector (the dashboard, the login page) is sent with, its
 * outline, and the one escaper for text put into them.
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

/**
 * A page in the shape every collector page has (HTML5, UTF-8, mobile viewport, dark colour scheme):
 * `title` is escaped here; `head` and `body` are markup, their text already escaped by the caller.
 * @example htmlDocument("edgeprobe NOC", `<link rel="stylesheet" href="/a.css">\n`, `<div id="app"></div>\n`)
 */
export function htmlDocument(title: string, head: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="dark">
<title>${escapeHtml(title)}</title>
${head}</head>
<body>
${body}</body>
</html>
`;
}
