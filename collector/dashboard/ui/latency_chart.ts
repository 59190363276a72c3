/**
 * @module One probe's latency over time (p50 and p99 per minute) drawn with uPlot. uPlot draws
 * into a canvas, so the plotted series are also exposed as data attributes on the container
 * (data-points, data-p50, data-p99) for tests and for anyone inspecting the page.
 */
import { html } from "htm/preact";
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import type { HistoryPoint } from "../../store.ts";

export interface LatencyChartProps {
  readonly points: readonly HistoryPoint[];
  /** The queried window (epoch ms): the x axis spans it even with a single point. */
  readonly from: number;
  readonly to: number;
}

/** uPlot's aligned data: x in seconds, then p50 and p99 in ms (null where no sample). */
export function toAligned(points: readonly HistoryPoint[]): [number[], (number | null)[], (number | null)[]] {
  const sorted = [...points].sort((a, b) => a.t - b.t);
  return [
    sorted.map((p) => p.t / 1000),
    sorted.map((p) => p.p50 ?? null),
    sorted.map((p) => p.p99 ?? null),
  ];
}

function widthOf(el: HTMLElement): number {
  return Math.max(240, Math.floor(el.clientWidth));
}

export function LatencyChart({ points, from, to }: LatencyChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  // uPlot keeps the range function it was built with: let it read the current window.
  const win = useRef({ from, to });
  win.current = { from, to };
  const data = toAligned(points);
  const withSamples = data[1].filter((v) => v !== null).length;

  useEffect(() => {
    const el = box.current!;
    const style = getComputedStyle(document.documentElement);
    const axisColor = style.getPropertyValue("--fg-dim").trim() || "#9aa4b2";
    const gridColor = style.getPropertyValue("--grid").trim() || "#2a3340";
    const axis = { stroke: axisColor, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor }, font: "14px system-ui, sans-serif" };
    const opts: uPlot.Options = {
      width: widthOf(el),
      height: 220,
      scales: { x: { time: true, range: () => [win.current.from / 1000, win.current.to / 1000] }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.15)] } },
      // HH:MM in UTC, like the header clock and the event times (a NOC spans time zones).
      axes: [
        {
          ...axis,
          // Seconds only when ticks are closer than a minute, so no two labels read the same.
          values: (_u, splits) => {
            const len = splits.length > 1 && splits[1] - splits[0] < 60 ? 19 : 16;
            return splits.map((t) => new Date(t * 1000).toISOString().slice(11, len));
          },
        },
        { ...axis, label: "ms", labelFont: "14px system-ui, sans-serif", size: 60 },
      ],
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      series: [
        {},
        { label: "p50", stroke: "#58a6ff", width: 3, points: { show: true, size: 10, fill: "#58a6ff" }, spanGaps: false },
        { label: "p99", stroke: "#f2cc60", width: 3, dash: [8, 5], points: { show: true, size: 10, fill: "#f2cc60" }, spanGaps: false },
      ],
    };
    plot.current = new uPlot(opts, data as uPlot.AlignedData, el);
    const ro = new ResizeObserver(() => plot.current?.setSize({ width: widthOf(el), height: 220 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, []);

  useEffect(() => {
    if (!plot.current) return;
    plot.current.setData(data as uPlot.AlignedData, true);
  }, [points, from, to]);

  return html`<div class="chart" ref=${box}
    data-points=${withSamples}
    data-p50=${JSON.stringify(data[1])}
    data-p99=${JSON.stringify(data[2])}
  ></div>`;
}
