/**
 * 20 clients hammering the collector's heaviest read (all-fleet latency) for a fixed time, in a
 * process of their own so they do not slow the process that measures the fleet API.
 *
 * bun tests/collector/_hammer.ts '{"url":"http://127.0.0.1:30200","token":"…","clients":20,"ms":8000}'
 * Prints one JSON line: the count of answers by status.
 */
const args = JSON.parse(process.argv[2]) as { url: string; token: string; clients: number; ms: number };
const end = Date.now() + args.ms;
const statuses: Record<number, number> = {};
await Promise.all(Array.from({ length: args.clients }, async (_, i) => {
  while (Date.now() < end) {
    const q = i % 2 === 0 ? "from=-720h" : "from=-30m";
    try {
      const res = await fetch(`${args.url}/api/v1/probes/p0/latency?${q}`, { headers: { authorization: `Bearer ${args.token}` } });
      await res.arrayBuffer();
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    } catch {
      statuses[0] = (statuses[0] ?? 0) + 1;
    }
  }
}));
process.stdout.write(JSON.stringify(statuses) + "\n");
