/**
 * @module The NOC dashboard page: fleet grid (#/) and node page (#/nodes/<id>), kept live by the
 * collector's server-sent events. Preact components written with htm tagged templates, so the
 * source needs no JSX transform.
 */
import { html } from "htm/preact";
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { FleetChange, HistoryPoint, NodeDetail, ProbeView } from "../../store.ts";
import { type Connection, connectLive, fetchFleet, fetchHistory, fetchNode, serverNow } from "./api.ts";
import {
  applyChange,
  cellFor,
  countStandings,
  factEntries,
  type Fleet,
  fleetHash,
  filterByLabels,
  formatAgo,
  formatMs,
  historyWindow,
  isStale,
  labelChoices,
  nodeHash,
  parseRoute,
  probeColumns,
  type Route,
  sortWorstFirst,
  standing,
  withDetail,
  withSummaries,
} from "./fleet_model.ts";
import { LatencyChart } from "./latency_chart.ts";
import { AlarmCounts, AlarmPage, useAlarmFeed } from "./alarm_page.ts";
import { NodeAlarms } from "./node_alarms.ts";

const HISTORY_MINUTES = 60;
/** At most this many node-detail requests in flight (a fleet of thousands must not flood the collector). */
const DETAIL_CONCURRENCY = 6;
/** A node's detail is refreshed on its live changes at most this often, so cell latencies stay current. */
const DETAIL_REFRESH_MS = 5_000;
const FLEET_POLL_MS = 10_000;
const DETAIL_SWEEP_MS = 30_000;

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return route;
}

/** The server's "now", re-read every second so staleness and "ago" texts move without events. */
function useNow(): number {
  const [now, setNow] = useState(serverNow());
  useEffect(() => {
    const t = setInterval(() => setNow(serverNow()), 1000);
    return () => clearInterval(t);
  }, []);
  return now;
}

export function App() {
  const route = useRoute();
  const now = useNow();
  const [fleet, setFleet] = useState<Fleet>({});
  const [loaded, setLoaded] = useState(false);
  const [conn, setConn] = useState<Connection>("connecting");
  const [error, setError] = useState<string | undefined>();
  const [nodeTick, setNodeTick] = useState<Record<string, number>>({});
  const fleetRef = useRef(fleet);
  fleetRef.current = fleet;
  const alarmFeed = useAlarmFeed();

  // Node details fetched through one small queue: newest wish wins, one request per node at a time.
  const queue = useRef({ wanted: new Set<string>(), running: new Set<string>(), lastAt: new Map<string, number>(), later: new Set<string>() });
  const pump = useCallback(() => {
    const q = queue.current;
    for (const id of [...q.wanted]) {
      if (q.running.size >= DETAIL_CONCURRENCY) break;
      if (q.running.has(id)) continue;
      q.wanted.delete(id);
      q.running.add(id);
      q.lastAt.set(id, Date.now());
      fetchNode(id)
        .then((d) => {
          setFleet((f) => withDetail(f, d));
          setNodeTick((t) => ({ ...t, [id]: (t[id] ?? 0) + 1 }));
        })
        .catch(() => {/* the node may be gone; the next fleet refresh tells */})
        .finally(() => {
          q.running.delete(id);
          pump();
        });
    }
  }, []);
  const want = useCallback((id: string, force = false) => {
    const q = queue.current;
    const wait = DETAIL_REFRESH_MS - (Date.now() - (q.lastAt.get(id) ?? 0));
    if (force || wait <= 0) {
      q.wanted.add(id);
      pump();
    } else if (!q.later.has(id)) {
      // Throttled: fetch once the interval has passed, so the last change is never lost.
      q.later.add(id);
      setTimeout(() => {
        q.later.delete(id);
        want(id, true);
      }, wait);
    }
  }, [pump]);

  // The event stream carries state changes, not every probe result or heartbeat: the fleet
  // (lastSeen, online) is re-read every FLEET_POLL_MS and every node's detail (cell latencies)
  // every DETAIL_SWEEP_MS, paced by the queue above.
  const resync = useCallback(async (details: boolean) => {
    try {
      const summaries = await fetchFleet();
      setFleet((f) => withSummaries(f, summaries));
      setLoaded(true);
      setError(undefined);
      for (const s of summaries) if (details || !fleetRef.current[s.id]?.probes || Object.keys(fleetRef.current[s.id].probes).length === 0) want(s.id, details);
    } catch (e) {
      setError(`Cannot read the fleet from the collector: ${(e as Error).message ?? e}`);
    }
  }, [want]);

  useEffect(() => {
    const stop = connectLive({
      onConnection: setConn,
      // Changes may have been missed while disconnected.
      onOpen: () => (void resync(true), alarmFeed.reload()),
      onAlarm: alarmFeed.apply,
      onChange: (change: FleetChange) => {
        const r = applyChange(fleetRef.current, change);
        fleetRef.current = r.fleet;
        setFleet(r.fleet);
        const id = change.type === "node" ? change.node.id : change.node;
        // A state change is rare (rise/fall hysteresis) and its failing result came in the same
        // batch: fetch at once so the red cell names the failure, not just "unhealthy".
        want(id, r.refetch !== undefined || change.type === "probe-state");
      },
    });
    // If the event stream cannot open at all, still show the fleet.
    void resync(true);
    const poll = setInterval(() => void resync(false), FLEET_POLL_MS);
    const sweep = setInterval(() => {
      for (const id of Object.keys(fleetRef.current)) want(id);
    }, DETAIL_SWEEP_MS);
    return () => {
      stop();
      clearInterval(poll);
      clearInterval(sweep);
    };
  }, []);

  const summaries = Object.values(fleet).map((n) => n.summary);
  const counts = countStandings(summaries, now);

  return html`
    <header class="top">
      <a class="brand" href="#/">edgeprobe <span>NOC</span></a>
      <div class="counts" role="status" aria-label="node counts">
        <span class="count down" data-count="DOWN"><b>${counts.DOWN}</b> DOWN</span>
        <span class="count degraded" data-count="DEGRADED"><b>${counts.DEGRADED}</b> DEGRADED</span>
        <span class="count up" data-count="UP"><b>${counts.UP}</b> UP</span>
        ${counts["NO DATA"] > 0 && html`<span class="count nodata" data-count="NO DATA"><b>${counts["NO DATA"]}</b> NO DATA</span>`}
      </div>
      <${AlarmCounts} feed=${alarmFeed} />
      <a class="nav-link" href="#/alarms">alarms</a>
      <div class=${`conn ${conn}`} id="conn" data-state=${conn} title="live updates from the collector">
        <i></i>${conn === "live" ? "LIVE" : conn === "connecting" ? "CONNECTING" : "OFFLINE — retrying"}
      </div>
      <time class="clock">${new Date(now).toISOString().slice(11, 19)} UTC</time>
    </header>
    ${error && html`<div class="banner">${error}</div>`}
    <main>
      ${location.hash.startsWith("#/alarms") ? html`<${AlarmPage} feed=${alarmFeed} />` : route.page === "node"
        ? html`<${NodePage} id=${route.id} fleet=${fleet} now=${now} tick=${nodeTick[route.id] ?? 0} />`
        : html`<${FleetPage} fleet=${fleet} filters=${route.filters} now=${now} loaded=${loaded} />`}
    </main>
  `;
}

function FleetPage({ fleet, filters, now, loaded }: { fleet: Fleet; filters: Record<string, string>; now: number; loaded: boolean }) {
  const all = Object.values(fleet).map((n) => n.summary);
  const choices = useMemo(() => labelChoices(all), [fleet]);
  const shown = sortWorstFirst(filterByLabels(all, filters), now);
  const columns = probeColumns(shown.map((s) => fleet[s.id]));
  const setFilter = (key: string, value: string) => {
    location.hash = fleetHash({ ...filters, [key]: value });
  };

  return html`
    <section class="filters" aria-label="filters">
      ${choices.map(({ key, values }) => html`
        <label>${key}
          <select data-label=${key} value=${filters[key] ?? ""} onChange=${(e: Event) => setFilter(key, (e.target as HTMLSelectElement).value)}>
            <option value="">all</option>
            ${values.map((v) => html`<option value=${v}>${v}</option>`)}
          </select>
        </label>`)}
      <span class="shown">${shown.length} of ${all.length} nodes</span>
      <span class="legend">
        <i class="cell healthy"></i>healthy <i class="cell unhealthy"></i>unhealthy
        <i class="cell unknown"></i>unknown <i class="cell healthy stale"></i>stale / stopped
      </span>
    </section>
    ${!loaded ? html`<p class="empty">Loading the fleet…</p>`
      : shown.length === 0 ? html`<p class="empty">No nodes${all.length ? " match these filters" : " have reported yet"}.</p>`
      : html`
    <div class="grid-wrap">
      <table class="grid" id="fleet-grid">
        <thead><tr><th class="node-col">node</th>${columns.map((c) => html`<th class="probe-col"><span>${c}</span></th>`)}</tr></thead>
        <tbody>
          ${shown.map((s) => {
            const n = fleet[s.id];
            const st = standing(s, now);
            return html`<tr data-node=${s.id} data-standing=${st}>
              <th class="node-col">
                <a href=${nodeHash(s.id)}>
                  <span class=${`badge ${st.replace(" ", "-").toLowerCase()}`}>${st}</span>
                  <span class="node-id">${s.id}</span>
                </a>
                <span class="labels">${Object.values(s.labels).join(" · ")}</span>
              </th>
              ${columns.map((c) => {
                const cell = cellFor(n, c, now);
                if (!cell) return html`<td class="cell none" data-probe=${c}></td>`;
                return html`<td class=${`cell ${cell.state}${cell.stale ? " stale" : ""}`} data-probe=${c} data-state=${cell.state}
                  data-stale=${String(cell.stale)} title=${cell.title}><a href=${nodeHash(s.id)}>${cell.text}</a></td>`;
              })}
            </tr>`;
          })}
        </tbody>
      </table>
    </div>`}
  `;
}

function NodePage({ id, fleet, now, tick }: { id: string; fleet: Fleet; now: number; tick: number }) {
  const [detail, setDetail] = useState<NodeDetail | undefined>();
  const [missing, setMissing] = useState(false);
  // The open node's detail (last results, facts, events) is re-read every 5 s besides live changes.
  const [poll, setPoll] = useState(0);
  const [history, setHistory] = useState<Record<string, HistoryPoint[]>>({});
  const [win, setWin] = useState(() => historyWindow(serverNow(), undefined, HISTORY_MINUTES));

  // The detail (events included) on open and whenever the app fetched a fresh one for a live change.
  useEffect(() => {
    const ac = new AbortController();
    fetchNode(id, ac.signal).then((d) => {
      setDetail(d);
      setMissing(false);
    }).catch(() => !ac.signal.aborted && setMissing(true));
    return () => ac.abort();
  }, [id, tick, poll]);
  useEffect(() => {
    const t = setInterval(() => setPoll((n) => n + 1), 5_000);
    return () => clearInterval(t);
  }, [id]);

  const probeNames = detail?.probeList.map((p) => p.name).join("\n") ?? "";
  const firstSeen = useRef<number | undefined>(undefined);
  firstSeen.current = detail?.firstSeen;
  useEffect(() => {
    if (!probeNames) return;
    const ac = new AbortController();
    const load = () => {
      const w = historyWindow(serverNow(), firstSeen.current, HISTORY_MINUTES);
      Promise.all(probeNames.split("\n").map(async (p) => [p, await fetchHistory(id, p, w.from, w.to, ac.signal).catch(() => [])] as const))
        .then((entries) => {
          if (ac.signal.aborted) return;
          setHistory(Object.fromEntries(entries));
          setWin(w);
        });
    };
    load();
    // History has one-minute steps; every 10 s keeps the current minute's point fresh.
    const t = setInterval(load, 10_000);
    return () => {
      ac.abort();
      clearInterval(t);
    };
  }, [id, probeNames]);

  if (missing && !detail) return html`<p class="empty">No node “${id}” at this collector. <a href="#/">Back to the fleet</a></p>`;
  if (!detail) return html`<p class="empty">Loading ${id}…</p>`;
  // Live probe states from the event stream are newer than the fetched detail.
  const live = fleet[id];
  const summary = live?.summary ?? detail;
  const st = standing(summary, now);
  const probes: ProbeView[] = detail.probeList.map((p) => {
    // A state change from the event stream may be newer than this page's last fetch.
    const l = live?.probes[p.name];
    return l && (l.stateSince ?? 0) > (p.stateSince ?? 0) ? { ...p, state: l.state, stateSince: l.stateSince } : p;
  });
  const stale = isStale(summary, now);

  return html`
    <section class="node-head" data-node=${id}>
      <a class="back" href="#/">← fleet</a>
      <h1><span class=${`badge ${st.replace(" ", "-").toLowerCase()}`}>${st}</span> ${id}</h1>
      <dl>
        ${Object.entries(summary.labels).map(([k, v]) => html`<div><dt>${k}</dt><dd>${v}</dd></div>`)}
        <div><dt>last seen</dt><dd class=${stale ? "warn" : ""}>${formatAgo(summary.lastSeen, now)}${summary.running ? "" : " (agent stopped)"}</dd></div>
        <div><dt>probes</dt><dd>${summary.probes.healthy} healthy · ${summary.probes.unhealthy} unhealthy · ${summary.probes.unknown} unknown</dd></div>
        <div><dt>peer restarts</dt><dd>${summary.peerRestarts}</dd></div>
        ${summary.spoolDrops > 0 && html`<div><dt>spool drops</dt><dd class="warn">${summary.spoolDrops}</dd></div>`}
        ${summary.version && html`<div><dt>version</dt><dd>${summary.version}</dd></div>`}
      </dl>
    </section>
    <section class="probes">
      ${probes.map((p) => html`
        <article class=${`probe ${p.state}${stale ? " stale" : ""}`} data-probe=${p.name} data-state=${p.state}>
          <header>
            <h2><span class=${`dot ${p.state}`}></span>${p.name} <small>${p.kind}</small></h2>
            <span class="state">${p.state.toUpperCase()} <small>since ${formatAgo(p.stateSince, now)}</small></span>
          </header>
          <div class="probe-body">
            <dl class="facts">
              <div><dt>last result</dt><dd>${p.last ? (p.last.ok ? `ok in ${formatMs(p.last.latencyMs)}` : `${p.last.failure?.kind ?? "failed"}`) : "—"} <small>${p.last ? formatAgo(p.last.at, now) : ""}</small></dd></div>
              <div class="last-error"><dt>last error</dt><dd class=${p.last && !p.last.ok ? "bad" : ""}>${p.last?.failure ? `${p.last.failure.kind}: ${p.last.failure.message ?? ""}${p.last.failure.reason ? ` (${p.last.failure.reason})` : ""}` : "—"}</dd></div>
              <div><dt>peer restarts</dt><dd class=${p.peerRestarts > 0 ? "warn" : ""}>${p.peerRestarts}</dd></div>
              <div><dt>runs ok / failed</dt><dd>${p.okTotal} / ${p.failTotal}</dd></div>
              ${factEntries(p.facts).map(([k, v]) => html`<div class=${k === "lossPercent" ? "loss" : ""}><dt>${k === "lossPercent" ? "loss" : k}</dt><dd>${v}</dd></div>`)}
            </dl>
            <div class="plot">
              <h3>latency per minute, p50 and p99 (up to ${HISTORY_MINUTES} min)</h3>
              <${LatencyChart} points=${history[p.name] ?? []} from=${win.from} to=${win.to} />
            </div>
          </div>
        </article>`)}
    </section>
    <${NodeAlarms} id=${id} events=${detail.events} now=${now} tick=${tick} />
    ${detail.events.length > 0 && html`
    <section class="events">
      <h2>recent events</h2>
      <ol>
        ${[...detail.events].sort((a, b) => b.at - a.at).slice(0, 30).map((e) => html`
          <li data-type=${e.type}><time>${new Date(e.at).toISOString().replace("T", " ").slice(0, 19)}</time>
            <b>${e.type}</b> ${e.probe ?? ""} <code>${describeDetail(e.detail)}</code></li>`)}
      </ol>
    </section>`}
  `;
}

function describeDetail(d: Readonly<Record<string, unknown>>): string {
  return Object.entries(d).map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : String(v)}`).join(" ");
}
