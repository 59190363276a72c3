/**
 * @module The NOC dashboard shell: header (counts, tabs, connection, clock) and the page the hash
 * names. The fleet grid (collector/fleet_grid_format.ts) is held once for every page and kept live
 * by its deltas; a page plugs in with one entry in `pages`. The alarm feed rides on the same event
 * stream (one EventSource per page). Preact components written with htm
 * tagged templates, so the source needs no JSX transform.
 */
import { html } from "htm/preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { GridModel } from "../../fleet_grid_format.ts";
import { type Connection, serverNow } from "./api.ts";
import { FleetPage } from "./fleet_page.ts";
import { connectGrid } from "./grid_live.ts";
import { countAll } from "./grid_view.ts";
import { NodePage } from "./node_page.ts";
import { type PageDef, pageFor, parseHash, type Route } from "./router.ts";
import { type AlarmFeed, AlarmCounts, AlarmPage, useAlarmFeed } from "./alarm_page.ts";

/** What every page gets. */
export interface PageContext {
  /** The live fleet grid; undefined until the first read. */
  readonly grid: GridModel | undefined;
  /** Changes whenever the grid changed (the model is updated in place). */
  readonly version: number;
  /** The collector's clock (epoch ms), ticking every second. */
  readonly now: number;
  /** The alarm list, kept live by the `alarm` events of the page's one event stream. */
  readonly alarms: AlarmFeed;
}

export const pages: PageDef<PageContext>[] = [
  { id: "", tab: "Fleet", match: (p) => p.length === 0, render: (c, r) => html`<${FleetPage} grid=${c.grid} version=${c.version} params=${r.params} />` },
  { id: "nodes", match: (p) => p[0] === "nodes" && p.length === 2, render: (c, r) => html`<${NodePage} id=${r.path[1]} grid=${c.grid} now=${c.now} />` },
  { id: "alarms", tab: "Alarms", match: (p) => p[0] === "alarms", render: (c) => html`<${AlarmPage} feed=${c.alarms} />` },
];

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseHash(location.hash));
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return route;
}

/** The server's "now", re-read every second so "ago" texts move without events. */
function useNow(): number {
  const [now, setNow] = useState(serverNow());
  useEffect(() => {
    const t = setInterval(() => setNow(serverNow()), 1000);
    return () => clearInterval(t);
  }, []);
  return now;
}

/**
 * The grid and a version that changes with it. Deltas may arrive many times a second; the page is
 * redrawn at most once per animation frame, so a burst costs one render.
 */
function useGrid(alarms: AlarmFeed): { grid: GridModel | undefined; version: number; conn: Connection; error: string | undefined } {
  const [grid, setGrid] = useState<GridModel | undefined>();
  const [version, setVersion] = useState(0);
  const [conn, setConn] = useState<Connection>("connecting");
  const [error, setError] = useState<string | undefined>();
  const frame = useRef(0);
  useEffect(() => {
    const stop = connectGrid({
      onConnection: setConn,
      onError: setError,
      onAlarm: alarms.apply,
      // Alarm events may have been missed while disconnected: re-read the list.
      onOpen: alarms.reload,
      onModel: (m) => {
        setGrid(m);
        if (frame.current) return;
        frame.current = requestAnimationFrame(() => {
          frame.current = 0;
          setVersion((v) => v + 1);
        });
      },
    });
    return () => {
      stop();
      cancelAnimationFrame(frame.current);
    };
  }, []);
  return { grid, version, conn, error };
}

export function App() {
  const route = useRoute();
  const now = useNow();
  const alarms = useAlarmFeed();
  const { grid, version, conn, error } = useGrid(alarms);
  const counts = grid ? countAll(grid) : { DOWN: 0, DEGRADED: 0, UP: 0, "NO DATA": 0 };
  const page = pageFor(pages, route);
  const ctx: PageContext = { grid, version, now, alarms };

  return html`
    <header class="top">
      <a class="brand" href="#/">edgeprobe <span>NOC</span></a>
      <nav class="tabs">
        ${pages.filter((p) => p.tab).map((p) => html`<a href=${`#/${p.id}`} class=${p === page ? "active" : ""} aria-current=${p === page ? "page" : undefined}>${p.tab}</a>`)}
      </nav>
      <div class="counts" role="status" aria-label="node counts">
        <span class="count down" data-count="DOWN"><b>${counts.DOWN}</b> DOWN</span>
        <span class="count degraded" data-count="DEGRADED"><b>${counts.DEGRADED}</b> DEGRADED</span>
        <span class="count up" data-count="UP"><b>${counts.UP}</b> UP</span>
        ${counts["NO DATA"] > 0 && html`<span class="count nodata" data-count="NO DATA"><b>${counts["NO DATA"]}</b> NO DATA</span>`}
      </div>
      <${AlarmCounts} feed=${alarms} />
      <div class=${`conn ${conn}`} id="conn" data-state=${conn} title="live updates from the collector">
        <i></i>${conn === "live" ? "LIVE" : conn === "connecting" ? "CONNECTING" : "OFFLINE — retrying"}
      </div>
      <time class="clock">${new Date(now).toISOString().slice(11, 19)} UTC</time>
    </header>
    ${error && html`<div class="banner">${error}</div>`}
    <main class=${`page-${page.id || "fleet"}`}>${page.render(ctx, route)}</main>
  `;
}
