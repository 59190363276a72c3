/**
 * @module The NOC dashboard's HTTP side: the page at `/` and its two bundled assets at
 * `/assets/<hash>.js|css`, all from collector/dashboard/assets.generated.ts (no file system, no
 * CDN, so the compiled binary serves it too). The page talks to the fleet API and the event
 * stream of the same collector.
 */
import { Hono } from "hono";
import { gzipSync } from "node:zlib";
import { dashboardCss, dashboardJs } from "./assets.generated.ts";
import { htmlDocument, htmlHeaders } from "../html.ts";

export interface DashboardRoutesOptions {
  /** Shown in the browser tab. @default "edgeprobe NOC" */
  readonly title?: string;
}

/** Names in the asset URLs: a changed bundle gets a new URL, so assets can be cached forever. */
export const dashboardAssetPaths = {
  js: `/assets/${dashboardJs.hash}.js`,
  css: `/assets/${dashboardCss.hash}.css`,
} as const;

// RFC 9111 §5.2.2.1 max-age plus RFC 8246 immutable: the URL changes whenever the bytes do.
const FOREVER = "public, max-age=31536000, immutable";
// The page itself must be revalidated, or a browser keeps asking for assets that no longer exist.
const REVALIDATE = "no-cache";
// Everything is same-origin: the bundle, the fleet API and the event stream. uPlot and Preact set
// styles through the CSSOM, which style-src does not restrict.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

interface Asset {
  readonly type: string;
  readonly etag: string;
  readonly plain: Uint8Array;
  gzip?: Uint8Array;
}

function asset(type: string, hash: string, body: string): Asset {
  return { type, etag: `"${hash}"`, plain: new TextEncoder().encode(body) };
}

// A dark favicon dot, inline, so the browser does not ask for /favicon.ico.
const FAVICON = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Ccircle cx='8' cy='8' r='7' fill='%231f9d4c'/%3E%3C/svg%3E";

export function dashboardPage(title: string): string {
  return htmlDocument(title, `<link rel="icon" href="${FAVICON}">
<link rel="stylesheet" href="${dashboardAssetPaths.css}">
<script type="module" src="${dashboardAssetPaths.js}"></script>
`, `<div id="app"></div>
<noscript>The edgeprobe dashboard needs JavaScript. The same data is at /api/v1/fleet.</noscript>
`);
}

function send(a: Asset, req: Request, cacheControl: string): Response {
  const headers = new Headers({
    ...(a.type.startsWith("text/html") ? htmlHeaders(CSP) : { "content-type": a.type, "x-content-type-options": "nosniff" }),
    "cache-control": cacheControl,
    etag: a.etag,
    vary: "accept-encoding",
  });
  const inm = req.headers.get("if-none-match");
  if (inm && inm.split(",").some((t) => t.trim().replace(/^W\//, "") === a.etag)) return new Response(null, { status: 304, headers });
  if (req.method === "HEAD") return new Response(null, { headers });
  // Compressed once, on first use: a NOC on a thin link gets about a third of the bytes.
  if (/\bgzip\b/.test(req.headers.get("accept-encoding") ?? "")) {
    a.gzip ??= new Uint8Array(gzipSync(a.plain, { level: 9 }));
    headers.set("content-encoding", "gzip");
    return new Response(a.gzip as Uint8Array<ArrayBuffer>, { headers });
  }
  return new Response(a.plain as Uint8Array<ArrayBuffer>, { headers });
}

function notFound(path: string): Response {
  return new Response(
    JSON.stringify({ type: "about:blank", title: "Not Found", status: 404, detail: `No dashboard asset at ${path}: the page may be older than this collector; reload it` }),
    { status: 404, headers: { "content-type": "application/problem+json", "cache-control": "no-store" } },
  );
}

/**
 * The dashboard routes, to mount on the collector's app: `app.route("/", dashboardRoutes())`.
 * @example
 * const app = new Hono();
 * app.route("/", dashboardRoutes());
 * // GET / → the page; GET /assets/<hash>.js → the bundle, cacheable for a year
 */
export function dashboardRoutes(options: DashboardRoutesOptions = {}): Hono {
  const page = asset("text/html; charset=utf-8", `page-${dashboardJs.hash}-${dashboardCss.hash}`, dashboardPage(options.title ?? "edgeprobe NOC"));
  const js = asset("text/javascript; charset=utf-8", dashboardJs.hash, dashboardJs.body);
  const css = asset("text/css; charset=utf-8", dashboardCss.hash, dashboardCss.body);
  const app = new Hono();
  app.on(["GET", "HEAD"], "/", (c) => send(page, c.req.raw, REVALIDATE));
  app.on(["GET", "HEAD"], "/index.html", (c) => send(page, c.req.raw, REVALIDATE));
  app.on(["GET", "HEAD"], "/assets/:file", (c) => {
    const file = c.req.param("file");
    if (file === `${dashboardJs.hash}.js`) return send(js, c.req.raw, FOREVER);
    if (file === `${dashboardCss.hash}.css`) return send(css, c.req.raw, FOREVER);
    return notFound(c.req.path);
  });
  return app;
}
