/**
 * @module A cap on requests in flight, in all and per source address: beyond it the collector
 * answers 503 at once (with Retry-After) instead of queueing work. Bun.serve and Deno.serve give
 * no hook per connection (runtime/serve_http.ts), so this is the cap on concurrent work; idle
 * connections are bounded by time instead. A request counts until its handler returns a
 * response (an event stream then counts against `limits.maxSseClients`).
 */
import { problem } from "./problem.ts";

export interface InFlightLimits {
  /** @default 1024 */
  readonly maxInFlight: number;
  /** @default 64 */
  readonly maxInFlightPerSource: number;
}

type Handler<I> = (req: Request, info?: I) => Promise<Response>;

export function limitInFlight<I extends { readonly remoteAddress?: string }>(handler: Handler<I>, limits: () => InFlightLimits): Handler<I> & { inFlight(): number } {
  let total = 0;
  const bySource = new Map<string, number>();
  const busy = (detail: string) => problem({ type: "too-many-requests", title: "Service Unavailable", status: 503, detail }, { "retry-after": "1" });
  const limited = async (req: Request, info?: I): Promise<Response> => {
    const l = limits();
    const src = info?.remoteAddress ?? "";
    const mine = bySource.get(src) ?? 0;
    if (total >= l.maxInFlight) return busy(`Cannot take another request: limits.maxInFlight = ${l.maxInFlight} are in flight`);
    if (mine >= l.maxInFlightPerSource) return busy(`Cannot take another request from this address: limits.maxInFlightPerSource = ${l.maxInFlightPerSource} are in flight`);
    total++;
    bySource.set(src, mine + 1);
    try {
      return await handler(req, info);
    } finally {
      total--;
      const n = (bySource.get(src) ?? 1) - 1;
      if (n === 0) bySource.delete(src);
      else bySource.set(src, n);
    }
  };
  return Object.assign(limited, { inFlight: () => total });
}
