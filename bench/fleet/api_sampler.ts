/**
 * @module A fleet-API client in its own process, for the overload figures: the bench process runs
 * the simulator, whose event loop would otherwise delay these requests and be charged to the
 * collector's answer time.
 *
 *   bun bench/fleet/api_sampler.ts URL TOKEN COUNT INTERVAL_MS
 *
 * GETs URL COUNT times, one at a time, INTERVAL_MS apart (start to start), and prints one JSON
 * line: the statuses seen and the latencies in ms, in order.
 */
const [url, token, countText, intervalText] = process.argv.slice(2);
const count = Number(countText), interval = Number(intervalText);
const ms: number[] = [];
const statuses: Record<string, number> = {};
for (let i = 0; i < count; i++) {
  const t = performance.now();
  try {
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer();
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
  } catch (e) {
    const k = (e as Error).name;
    statuses[k] = (statuses[k] ?? 0) + 1;
  }
  const took = performance.now() - t;
  ms.push(+took.toFixed(2));
  if (took < interval) await new Promise((r) => setTimeout(r, interval - took));
}
console.log(JSON.stringify({ statuses, ms }));
