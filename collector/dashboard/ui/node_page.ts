/**
 * @module The node page (`#/nodes/<id>`): verdict, labels, one panel per probe with its last
 * result, last error, facts and a latency plot, its availability and alarm timeline
 * (node_alarms.ts), and the node's recent events. Its standing and
 * the "something changed" signal come from the live fleet grid; the details from
 * `/api/v1/nodes/:id`, re-read on each change of this node's grid row and every 5 s.
 */
import { html } from "htm/preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { HistoryPoint, NodeDetail } from "../../store.ts";
import { fetchHistory, fetchNode, serverNow } from "./api.ts";
import { factEntries, formatAgo, formatMs, historyWindow, isStale } from "./fleet_model.ts";
import type { GridModel } from "../../fleet_grid_format.ts";
import { nodeView } from "./grid_view.ts";
import { LatencyChart } from "./latency_chart.ts";
import { NodeAlarms } from "./node_alarms.ts";

const HISTORY_MINUTES = 60;

export function NodePage({ id, grid, now }: { id: string; grid: GridModel | undefined; now: number }) {
  const row = grid?.nodes.get(id);
  const live = grid && row ? nodeView(grid, row) : undefined;
  // A change of this node's row (verdict, flags, a probe state) re-reads its detail.
  const tick = row ? `${row[1]}.${row[2]}.${row[5]}` : "";
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
  const summary = detail;
  // The standing from the live grid is newer than the last fetched detail.
  const st = live?.standing ?? "NO DATA";
  const probes = detail.probeList;
  const stale = live ? live.stale : isStale(summary, now);

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
