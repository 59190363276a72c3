/**
 * @module Reference point for bench/healthz (not used by the agent): Bun.serve with a static
 * route, which Bun answers in native code without entering JavaScript. It cannot serve h2c or
 * sniff TLS on the same port, which is why the agent does not use it (docs/architecture.md,
 * "One port on both runtimes").
 */
export function startBunServeStatic(hostname: string, port: number, path: string, body: string, contentType: string): { stop(): void } {
  const bun = (globalThis as unknown as { Bun?: { serve(o: unknown): { stop(force?: boolean): void } } }).Bun;
  if (!bun) throw new Error("Cannot start Bun.serve: not running on Bun");
  const server = bun.serve({
    hostname,
    port,
    routes: { [path]: new Response(body, { headers: { "content-type": contentType, "cache-control": "no-store" } }) },
    fetch: () => new Response("not here\n", { status: 404 }),
  });
  return { stop: () => server.stop(true) };
}
