/**
 * @module The fleet page (`#/`): every node in one table grouped by region and site with counts,
 * filtered by label, standing, probe and cell state, searched by name, and drawn in a window:
 * only the rows inside the scroll box (plus a few either side) are in the DOM, so 10,000 nodes
 * cost what 40 do. Rows have one fixed height; spacer rows stand in for the rest.
 */
import { html } from "htm/preact";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { decodeCell, type GridModel } from "../../fleet_grid_format.ts";
import { buildRows, type Counts, type FleetQuery, fleetQueryHash, labelChoices, newViewCache, type NodeView, parseFleetQuery, probeChoices, STANDINGS, windowOf } from "./grid_view.ts";
import { nodeHash } from "./fleet_model.ts";

const cls = (s: string) => s.replace(" ", "-").toLowerCase();

function CountChips({ counts }: { counts: Counts }) {
  return html`<span class="chips">${STANDINGS.filter((s) => counts[s] > 0).map((s) => html`<span class=${`chip ${cls(s)}`} data-group-count=${s}>${counts[s]} ${s}</span>`)}</span>`;
}

function cellText(state: string, kind: string | undefined): string {
  if (state === "healthy") return "ok";
  if (state === "unhealthy") return kind ?? "unhealthy";
  return "unknown";
}

function NodeRow({ n, columns, row }: { n: NodeView; columns: readonly string[]; row: number }) {
  const href = nodeHash(n.id);
  return html`<tr data-node=${n.id} data-standing=${n.standing} data-row=${row}>
    <th class="node-col"><div class="nc">
      <a href=${href}><span class=${`badge ${cls(n.standing)}`}>${n.standing}</span><span class="node-id">${n.id}</span></a>
      <span class="labels">${Object.values(n.labels).join(" · ")}</span>
    </div></th>
    ${columns.map((c) => {
      const i = n.probes.indexOf(c);
      if (i < 0) return html`<td class="cell none" data-probe=${c}></td>`;
      const { state, kind } = decodeCell(n.cells[i]);
      return html`<td class=${`cell ${state}${n.stale ? " stale" : ""}`} data-probe=${c} data-state=${state} data-stale=${String(n.stale)}
        title=${`${n.id} · ${c}: ${state}${kind ? ` (${kind})` : ""}${n.stale ? ", node stale or stopped" : ""}`}><a href=${href}>${cellText(state, kind)}</a></td>`;
    })}
  </tr>`;
}

export function FleetPage({ grid, params, version }: { grid: GridModel | undefined; params: URLSearchParams; version: number }) {
  const query = useMemo(() => parseFleetQuery(params), [params.toString()]);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const [search, setSearch] = useState(query.q ?? "");
  const wrap = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ top: 0, height: 800 });
  const [rowPx, setRowPx] = useState(40);

  const cache = useRef(newViewCache());
  const built = useMemo(() => (grid ? buildRows(grid, query, collapsed, cache.current) : undefined), [grid, version, query, collapsed]);
  const choices = useMemo(() => (grid ? labelChoices(grid) : []), [grid, version]);
  const probes = useMemo(() => (grid ? probeChoices(grid) : []), [grid, version]);

  const go = (q: FleetQuery) => {
    location.hash = fleetQueryHash(q);
  };
  // The URL is the truth: a hash changed elsewhere (back button, a link) refills the box.
  useEffect(() => setSearch(query.q ?? ""), [query.q]);
  // The search box updates the URL after a short pause, not on every key.
  useEffect(() => {
    if ((query.q ?? "") === search) return;
    const t = setTimeout(() => go({ ...query, ...(search ? { q: search } : { q: undefined }) }), 200);
    return () => clearTimeout(t);
  }, [search]);

  useEffect(() => {
    const el = wrap.current;
    if (!el) return;
    const on = () => setView({ top: el.scrollTop, height: el.clientHeight });
    on();
    el.addEventListener("scroll", on, { passive: true });
    const ro = new ResizeObserver(on);
    ro.observe(el);
    return () => {
      el.removeEventListener("scroll", on);
      ro.disconnect();
    };
  }, [wrap.current]);

  // One row's real height (it follows the root font size), measured once rows exist.
  useLayoutEffect(() => {
    const r = wrap.current?.querySelector<HTMLElement>("tbody tr[data-row]");
    if (r && r.offsetHeight > 0 && Math.abs(r.offsetHeight - rowPx) >= 1) setRowPx(r.offsetHeight);
  });

  const rows = built?.rows ?? [];
  const { start, end } = windowOf(rows.length, view.top, view.height, rowPx);
  const columns = built?.columns ?? [];
  const toggle = (key: string) => {
    const s = new Set(collapsed);
    if (!s.delete(key)) s.add(key);
    setCollapsed(s);
  };
  const sel = (name: string, value: string, options: readonly string[], onPick: (v: string) => void, label = name, all = "all") =>
    html`<label>${label}
      <select data-filter=${name} value=${value} onChange=${(e: Event) => onPick((e.target as HTMLSelectElement).value)}>
        <option value="">${all}</option>
        ${options.map((v) => html`<option value=${v}>${v}</option>`)}
      </select></label>`;

  return html`
    <section class="filters" aria-label="filters">
      <label>name <input type="search" id="search" placeholder="node id" value=${search} onInput=${(e: Event) => setSearch((e.target as HTMLInputElement).value)} /></label>
      ${choices.map(({ key, values }) => html`
        <label>${key}
          <select data-label=${key} value=${query.labels[key] ?? ""} onChange=${(e: Event) => go({ ...query, labels: { ...query.labels, [key]: (e.target as HTMLSelectElement).value } })}>
            <option value="">all</option>
            ${values.map((v) => html`<option value=${v}>${v}</option>`)}
          </select>
        </label>`)}
      ${sel("state", query.state ?? "", STANDINGS, (v) => go({ ...query, state: (v || undefined) as FleetQuery["state"] }))}
      ${sel("probe", query.probe ?? "", probes, (v) => go({ ...query, probe: v || undefined }))}
      ${sel("cell", query.cell ?? "", ["unhealthy", "unknown", "healthy"], (v) => go({ ...query, cell: (v || undefined) as FleetQuery["cell"] }), "probe state")}
      ${sel("group", query.group === "site" ? "" : query.group, ["region", "none"], (v) => go({ ...query, group: (v || "site") as FleetQuery["group"] }), "group by", "region, site")}
      <span class="shown" id="shown">${built?.shown ?? 0} of ${grid?.nodes.size ?? 0} nodes</span>
      <span class="legend">
        <i class="cell healthy"></i>healthy <i class="cell unhealthy"></i>unhealthy
        <i class="cell unknown"></i>unknown <i class="cell healthy stale"></i>stale / stopped
      </span>
    </section>
    ${!grid ? html`<p class="empty">Loading the fleet…</p>`
      : rows.length === 0 ? html`<p class="empty">No nodes${grid.nodes.size ? " match these filters" : " have reported yet"}.</p>`
      : html`
    <div class="grid-wrap" ref=${wrap} data-rows=${rows.length} data-window=${`${start}-${end}`}>
      <table class="grid" id="fleet-grid" style=${`--cols:${columns.length}`}>
        <thead><tr><th class="node-col">node</th>${columns.map((c) => html`<th class="probe-col"><span>${c}</span></th>`)}</tr></thead>
        <tbody>
          <tr class="spacer"><td colspan=${columns.length + 1} style=${`height:${start * rowPx}px`}></td></tr>
          ${rows.slice(start, end).map((r, i) =>
            r.kind === "node"
              ? html`<${NodeRow} key=${r.node.id} n=${r.node} columns=${columns} row=${start + i} />`
              : html`<tr key=${r.key} class=${`group level-${r.level}`} data-row=${start + i} data-group=${r.key}>
                  <th colspan=${columns.length + 1}>
                    <button type="button" aria-expanded=${String(!r.collapsed)} onClick=${() => toggle(r.key)}>${r.collapsed ? "▸" : "▾"} ${r.title}</button>
                    <span class="total">${r.total} nodes</span> <${CountChips} counts=${r.counts} />
                  </th>
                </tr>`
          )}
          <tr class="spacer"><td colspan=${columns.length + 1} style=${`height:${Math.max(0, rows.length - end) * rowPx}px`}></td></tr>
        </tbody>
      </table>
    </div>`}
  `;
}
