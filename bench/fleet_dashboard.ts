/**
 * The dashboard section of bench:fleet: the fleet page in headless Chromium against a real
 * collector fed by `edgeprobe simulate` at 1,000 and 10,000 agents (tests/dashboard/_grid_fleet.ts),
 * ports 36200-36299.
 *
 *   bun bench/fleet_dashboard.ts [--sizes 1000,10000] [--heap-minutes 10]
 *   (also called from bench/fleet.ts through runDashboardBench / dashboardSection)
 *
 * Per size: the collector's compact grid (`/api/v1/fleet/grid`, gzip) beside the reference, what
 * the page before it read to paint one full grid (`/api/v1/fleet` plus every node's detail, six
 * requests in flight as it did, cut at 60 s); first paint of five fresh pages; 20 probe changes on
 * a lab agent from its send to the cell's colour on screen (and, of that, until the collector's
 * ingest ack); the collector's RSS. At the largest
 * size, with --heap-minutes, the page's JS heap after GC every 30 s while the simulator's changes
 * keep coming and a lab probe flips every second.
 */
import { launchChromium } from "../tests/dashboard/_browser.ts";
import { type GridFleet, LAB_REGION, startGridFleet } from "../tests/dashboard/_grid_fleet.ts";
import { readFileSync } from "node:fs";

export interface DashboardFigures {
  readonly agents: number;
  readonly nodes: number;
  readonly gridBytes: number;
  readonly gridMs: number;
  readonly reference: { readonly bytes: number; readonly ms: number; readonly nodesRead: number; readonly complete: boolean };
  readonly firstPaintMs: readonly number[];
  readonly updateMs: readonly number[];
  /** Of each update: the ingest POST until the collector's ack (the collector's share). */
  readonly ackMs: readonly number[];
  readonly collectorRssMb: number;
  readonly heap?: { readonly minutes: number; readonly mb: readonly number[]; readonly longestTaskMs: number };
}

const GOALS = { firstPaintMs: 2000, updateMs: 1000 } as const;
/** Probe changes timed per size. */
const UPDATES = 20;
const median = (a: readonly number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const max = (a: readonly number[]) => Math.max(...a);
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;

async function timed(url: string, headers: Readonly<Record<string, string>> = {}): Promise<{ bytes: number; ms: number; body: ArrayBuffer }> {
  const t = performance.now();
  const res = await fetch(url, { headers });
  const body = await res.arrayBuffer();
  return { bytes: Number(res.headers.get("content-length") ?? body.byteLength), ms: performance.now() - t, body };
}

/** The earlier page's load: the fleet summary, then every node's detail, 6 at a time, for at most 60 s. */
async function reference(f: GridFleet) {
  const t = performance.now();
  // The fleet list is paged (limits.maxPageSize, 5,000 by default): follow `next` to the end.
  const ids: string[] = [];
  let bytes = 0, next = 0, read = 0;
  for (let after: string | undefined, page = 0; page === 0 || after !== undefined; page++) {
    const fleet = await timed(`${f.url}/api/v1/fleet${after === undefined ? "" : `?after=${encodeURIComponent(after)}`}`, { ...f.viewer, "accept-encoding": "gzip" });
    const body = JSON.parse(new TextDecoder().decode(fleet.body)) as { nodes: { id: string }[]; next?: string };
    ids.push(...body.nodes.map((n) => n.id));
    bytes += fleet.bytes;
    after = body.next;
  }
  const deadline = t + 60_000;
  await Promise.all(Array.from({ length: 6 }, async () => {
    while (next < ids.length && performance.now() < deadline) {
      const r = await timed(`${f.url}/api/v1/nodes/${encodeURIComponent(ids[next++])}`, { ...f.viewer, "accept-encoding": "gzip" });
      bytes += r.bytes;
      read++;
    }
  }));
  return { bytes, ms: performance.now() - t, nodesRead: read, complete: read === ids.length };
}

export async function runDashboardBench(opts: { sizes?: readonly number[]; heapMinutes?: number; log?: (s: string) => void } = {}): Promise<DashboardFigures[]> {
  const sizes = opts.sizes ?? [1000, 10_000];
  const log = opts.log ?? ((s: string) => console.log(s));
  const out: DashboardFigures[] = [];
  for (const [k, agents] of sizes.entries()) {
    const t0 = performance.now();
    const fleet = await startGridFleet({ port: 36200 + k, agents });
    const chromium = await launchChromium();
    // Every read needs a viewer (docs/security.md): the pages read with the fleet's viewer token.
    await chromium.context.setExtraHTTPHeaders(fleet.viewer);
    try {
      log(`dashboard@${agents}: ${fleet.nodes} nodes at the collector after ${Math.round((performance.now() - t0) / 1000)} s`);
      const grids = [];
      for (let i = 0; i < 5; i++) grids.push(await timed(`${fleet.url}/api/v1/fleet/grid`, { ...fleet.viewer, "accept-encoding": "gzip" }));
      const ref = await reference(fleet);
      const firstPaintMs: number[] = [];
      for (let i = 0; i < 5; i++) {
        const page = await chromium.context.newPage();
        const t = performance.now();
        await page.goto(fleet.url + "/");
        await page.waitForFunction(() => /^(\d+) of \1 nodes$/.test(document.querySelector("#shown")?.textContent ?? "") && document.querySelector("#fleet-grid tbody td[data-state]"), undefined, { timeout: 60_000, polling: "raf" });
        firstPaintMs.push(Math.round(performance.now() - t));
        await page.close();
      }
      const page = await chromium.context.newPage();
      await page.goto(`${fleet.url}/#/?region=${LAB_REGION}&group=none`);
      await page.waitForSelector(`#fleet-grid tr[data-node="${fleet.lab[0]}"] td[data-state]`, { timeout: 60_000 });
      await page.waitForSelector('#conn[data-state="live"]', { timeout: 10_000 });
      const updateMs: number[] = [], ackMs: number[] = [];
      for (let i = 0; i < UPDATES; i++) {
        const to = i % 2 === 0 ? "unhealthy" : "healthy";
        const t = performance.now();
        await fleet.turn(fleet.lab[0], "n4-smf", to);
        ackMs.push(Math.round(performance.now() - t));
        await page.waitForSelector(`#fleet-grid tr[data-node="${fleet.lab[0]}"] td[data-probe="n4-smf"][data-state="${to}"]`, { timeout: 30_000 });
        updateMs.push(Math.round(performance.now() - t));
        await new Promise((r) => setTimeout(r, 500));
      }
      let heap: DashboardFigures["heap"];
      if (opts.heapMinutes && k === sizes.length - 1) {
        const cdp = await chromium.context.newCDPSession(page);
        await page.evaluate(() => {
          const g = globalThis as { __longest?: number };
          g.__longest = 0;
          new PerformanceObserver((l) => {
            for (const e of l.getEntries()) g.__longest = Math.max(g.__longest ?? 0, e.duration);
          }).observe({ type: "longtask" });
        });
        const sample = async () => {
          await cdp.send("HeapProfiler.collectGarbage");
          return (await cdp.send("Runtime.getHeapUsage")).usedSize / 1048576;
        };
        const mb = [await sample()];
        const end = Date.now() + opts.heapMinutes * 60_000;
        for (let s = 1; Date.now() < end; s++) {
          await fleet.turn(fleet.lab[1], "dns", s % 2 ? "unhealthy" : "healthy");
          await new Promise((r) => setTimeout(r, 1000));
          if (s % 30 === 0) {
            mb.push(await sample());
            log(`dashboard@${agents}: heap ${mb.at(-1)!.toFixed(1)} MB after ${s} s`);
          }
        }
        const longestTaskMs = Math.round(await page.evaluate(() => (globalThis as { __longest?: number }).__longest ?? 0));
        heap = { minutes: opts.heapMinutes, mb, longestTaskMs };
      }
      const f: DashboardFigures = {
        agents, nodes: fleet.nodes,
        gridBytes: grids[1].bytes, gridMs: median(grids.slice(1).map((g) => g.ms)),
        reference: ref, firstPaintMs, updateMs, ackMs, collectorRssMb: rssMb(fleet.collector.pid), ...(heap ? { heap } : {}),
      };
      log(`dashboard@${agents}: ${JSON.stringify(f)}`);
      out.push(f);
    } finally {
      await chromium.close();
      await fleet.stop();
    }
  }
  return out;
}

/** The section's text: a Markdown table, each goal met or not. */
export function dashboardSection(figs: readonly DashboardFigures[], date = new Date().toISOString().slice(0, 10)): string {
  const yes = (ok: boolean) => (ok ? "met" : "NOT met");
  const kb = (b: number) => `${(b / 1024).toFixed(0)} KB`;
  const lines = [
    `### Dashboard (${date}, headless Chromium, collector fed by edgeprobe simulate)`,
    "",
    `| agents | grid (gzip) | grid read | reference: /fleet + node details | first paint (5 loads) | goal ≤ 2 s | red/green on screen (${UPDATES} changes) | of which ingest ack | goal ≤ 1 s | collector RSS |`,
    "| ---: | ---: | ---: | --- | --- | --- | --- | --- | --- | ---: |",
  ];
  for (const f of figs) {
    const ref = `${kb(f.reference.bytes)} in ${(f.reference.ms / 1000).toFixed(1)} s${f.reference.complete ? "" : ` (${f.reference.nodesRead} of ${f.nodes} nodes, cut at 60 s)`}; ${(f.reference.bytes / f.gridBytes).toFixed(0)}× the grid's bytes`;
    lines.push(`| ${f.agents} | ${kb(f.gridBytes)} | ${f.gridMs.toFixed(1)} ms | ${ref} | median ${median(f.firstPaintMs)} ms, max ${max(f.firstPaintMs)} ms | ${yes(max(f.firstPaintMs) <= GOALS.firstPaintMs)} | median ${median(f.updateMs)} ms, max ${max(f.updateMs)} ms | median ${median(f.ackMs)} ms, max ${max(f.ackMs)} ms | ${yes(max(f.updateMs) <= GOALS.updateMs)}${max(f.updateMs) > GOALS.updateMs ? ` (${f.updateMs.filter((x) => x <= GOALS.updateMs).length} of ${f.updateMs.length})` : ""} | ${f.collectorRssMb.toFixed(0)} MB |`);
  }
  const h = figs.find((f) => f.heap)?.heap;
  if (h) {
    const first = h.mb[0], last = h.mb[h.mb.length - 1], top = Math.max(...h.mb);
    const bounded = top <= first * 1.25 + 4;
    lines.push("", `JS heap after GC at ${figs.at(-1)!.agents} agents over ${h.minutes} min of live updates: ${first.toFixed(1)} MB at the start, ${last.toFixed(1)} MB at the end, ${top.toFixed(1)} MB at most (${h.mb.length} samples); longest main-thread task ${h.longestTaskMs} ms. Bounded: ${yes(bounded)}.`);
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const sizes = (arg("sizes") ?? "1000,10000").split(",").map(Number);
  const figs = await runDashboardBench({ sizes, heapMinutes: Number(arg("heap-minutes") ?? 0) });
  console.log("\n" + dashboardSection(figs));
}
