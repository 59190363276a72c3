/**
 * @module The dashboard's pages and tabs: a page is matched on the hash path (`#/nodes/upf-17` →
 * `["nodes", "upf-17"]`) and drawn with the shared context. Another page plugs in with one entry
 * in `pages` (app.ts); a `tab` puts it in the header.
 */
export interface Route {
  /** Hash path segments, decoded: `#/nodes/a%2Fb?x=1` → `["nodes", "a/b"]`. */
  readonly path: readonly string[];
  readonly params: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const h = hash.replace(/^#\/?/, "");
  const q = h.indexOf("?");
  const path = (q < 0 ? h : h.slice(0, q)).split("/").filter(Boolean).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  return { path, params: new URLSearchParams(q < 0 ? "" : h.slice(q + 1)) };
}

export interface PageDef<Ctx> {
  readonly id: string;
  /** Shown in the header's tabs when set; the link is `#/<id>` (the fleet page: `#/`). */
  readonly tab?: string;
  match(path: readonly string[]): boolean;
  render(ctx: Ctx, route: Route): unknown;
}

/** The first page that matches, else the first page (the fleet). */
export function pageFor<Ctx>(pages: readonly PageDef<Ctx>[], route: Route): PageDef<Ctx> {
  return pages.find((p) => p.match(route.path)) ?? pages[0];
}
