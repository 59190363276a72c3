/**
 * `clients` clients hammering one collector read for a fixed time, in a process of their own so
 * they do not slow the process that measures the fleet API. The path defaults to all-fleet latency.
 *
 * bun tests/collector/_hammer.ts '{"url":"http://127.0.0.1:21500","token":"…","clients":20,"ms":8000,"path":"/api/v1/…"}'
 * Prints one JSON line: the count of answers by status.
 */
const args = JSON.parse(process.argv[2]) as { url: string; token: string; clients: number; ms: number; path?: string };
const end = Date.now() + args.ms;
const statuses: Record<number, number> = {};
await Promise.all(Array.from({ length: args.clients }, async (_, i) => {
  while (Date.now() < end) {
    const path = args.path ?? `/api/v1/probes/p0/latency?${i % 2 === 0 ? "from=-720h" : "from=-30m"}`;
    try {
      const res = await fetch(`${args.url}${path}`, { headers: { authorization: `Bearer ${args.token}` } });
      await res.arrayBuffer();
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    } catch {
      statuses[0] = (statuses[0] ?? 0) + 1;
    }
  }
}));
process.stdout.write(JSON.stringify(statuses) + "\n");
