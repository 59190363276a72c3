/**
 * @module Server-sent events for fleet changes (`GET /api/v1/events`, WHATWG HTML §9.2).
 *
 * Each change is serialised once and queued to every client. A client that stops reading is
 * disconnected once its queue passes `maxQueuedBytes` (counted in bytes: the stream's queuing
 * strategy sizes each chunk by its byteLength, WHATWG Streams §7.3 "size"), so one slow
 * dashboard never holds memory for the others: at most maxClients × (maxQueuedBytes + one event)
 * in all.
 * A comment line every `heartbeatMs` keeps proxies from closing idle streams.
 */
import type { FleetChange } from "./store.ts";
import { problem } from "./problem.ts";

export interface SseHub {
  /**
   * The answer to one GET: a stream that ends when the client goes or the hub closes.
   * @param types only these event names (e.g. `?types=grid`); every event when omitted.
   */
  connect(types?: readonly string[]): Response;
  /** A fleet change, or any other typed event (the alarm notifications: event "alarm"). */
  publish(change: FleetChange | { readonly type: string }): void;
  /** One named event with a pre-serialised data line (JSON without newlines). */
  publishEvent(event: string, data: string): void;
  clients(): number;
  close(): void;
}

export interface SseOptions {
  readonly maxClients: number;
  readonly heartbeatMs?: number;
  readonly maxQueuedBytes?: number;
}

const enc = new TextEncoder();

export function createSseHub(options: SseOptions): SseHub {
  // Each client with the event names it asked for (undefined: all).
  const clients = new Map<ReadableStreamDefaultController<Uint8Array>, ReadonlySet<string> | undefined>();
  const maxQueued = options.maxQueuedBytes ?? 256 * 1024;
  let nextId = 1;
  const send = (bytes: Uint8Array, event?: string) => {
    for (const [c, types] of clients) {
      if (event !== undefined && types !== undefined && !types.has(event)) continue;
      // A client with nothing queued always takes the event: one grid delta at 10,000 nodes can
      // itself pass maxQueuedBytes (every row when the fleet comes back), and closing every
      // reader for it would only make each re-read the whole grid.
      const queued = -(c.desiredSize ?? 0);
      if (queued > 0 && queued + bytes.byteLength > maxQueued) {
        clients.delete(c);
        try {
          c.close();
        } catch {
          // already closed by the client
        }
        continue;
      }
      try {
        c.enqueue(bytes);
      } catch {
        clients.delete(c);
      }
    }
  };
  const heartbeat = setInterval(() => send(enc.encode(": ping\n\n")), options.heartbeatMs ?? 15_000);
  (heartbeat as { unref?: () => void }).unref?.();

  return {
    connect(types) {
      if (clients.size >= options.maxClients) {
        return problem({ type: "too-many-sse-clients", title: "Service Unavailable", status: 503, detail: `Cannot open an event stream: ${options.maxClients} clients are connected` }, { "retry-after": "5" });
      }
      let me: ReadableStreamDefaultController<Uint8Array> | undefined;
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          me = controller;
          clients.set(controller, types && types.length > 0 ? new Set(types) : undefined);
          // retry: how long a browser's EventSource waits before reconnecting (ms).
          controller.enqueue(enc.encode("retry: 2000\n: connected\n\n"));
        },
        cancel() {
          if (me) clients.delete(me);
        },
      }, { highWaterMark: 0, size: (chunk: Uint8Array) => chunk.byteLength });
      return new Response(stream, {
        headers: { "content-type": "text/event-stream", "cache-control": "no-store", "x-accel-buffering": "no" },
      });
    },
    publish(change) {
      if (clients.size === 0) return;
      send(enc.encode(`id: ${nextId++}\nevent: ${change.type}\ndata: ${JSON.stringify(change)}\n\n`), change.type);
    },
    publishEvent(event, data) {
      if (clients.size === 0) return;
      send(enc.encode(`id: ${nextId++}\nevent: ${event}\ndata: ${data}\n\n`), event);
    },
    clients: () => clients.size,
    close() {
      clearInterval(heartbeat);
      for (const c of clients.keys()) {
        try {
          c.close();
        } catch {
          // already gone
        }
      }
      clients.clear();
    },
  };
}
