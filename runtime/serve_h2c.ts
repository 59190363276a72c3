/**
 * @module Serve a fetch-style handler over h2c (HTTP/2 cleartext, prior knowledge) with node:http2.
 *
 * Bun.serve speaks only HTTP/1.1 (design.md "Runtimes and the binary"), so the collector offers
 * h2c on a second port through this adapter; Deno.serve already accepts h2c on its main port.
 * Response bodies are streamed, so server-sent events work over it too.
 */
import * as http2 from "node:http2";
import type { HttpHandler, HttpServer } from "./serve_http.ts";

export interface ServeH2cOptions {
  readonly hostname: string;
  readonly port: number;
  readonly signal: AbortSignal;
}

/** @throws {Error} "Cannot listen on host:port (h2c): …" */
export async function serveH2c(handler: HttpHandler, options: ServeH2cOptions): Promise<HttpServer> {
  const server = http2.createServer();
  const where = `${options.hostname}:${options.port}`;
  server.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
    const ac = new AbortController();
    stream.on("close", () => ac.abort());
    const method = String(headers[":method"] ?? "GET");
    const host = String(headers[":authority"] ?? where);
    const h = new Headers();
    for (const [k, v] of Object.entries(headers)) if (!k.startsWith(":") && v !== undefined) h.set(k, Array.isArray(v) ? v.join(", ") : String(v));
    const body = method === "GET" || method === "HEAD" ? undefined : new ReadableStream<Uint8Array>({
      start(controller) {
        stream.on("data", (c: Uint8Array) => controller.enqueue(new Uint8Array(c)));
        stream.on("end", () => controller.close());
        stream.on("error", (e) => controller.error(e));
      },
    });
    const req = new Request(`http://${host}${String(headers[":path"] ?? "/")}`, { method, headers: h, body, signal: ac.signal, duplex: "half" } as RequestInit);
    handler(req).then(async (res) => {
      if (stream.closed || stream.destroyed) return;
      const out: http2.OutgoingHttpHeaders = { ":status": res.status };
      res.headers.forEach((v, k) => (out[k] = v));
      stream.respond(out);
      if (!res.body) return void stream.end();
      const reader = res.body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done || stream.closed || stream.destroyed) break;
          stream.write(value);
        }
      } finally {
        reader.cancel().catch(() => {});
        if (!stream.closed && !stream.destroyed) stream.end();
      }
    }).catch((e: Error) => {
      if (stream.closed || stream.destroyed) return;
      if (!stream.headersSent) stream.respond({ ":status": 500, "content-type": "application/problem+json" });
      stream.end(JSON.stringify({ title: "Internal Server Error", status: 500, detail: e.message }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e) => reject(new Error(`Cannot listen on ${where} (h2c): ${e.message}`, { cause: e })));
    server.listen(options.port, options.hostname, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : options.port;
  const finished = new Promise<void>((resolve) => {
    const stop = () => server.close(() => resolve());
    if (options.signal.aborted) stop();
    else options.signal.addEventListener("abort", stop, { once: true });
  });
  return { hostname: options.hostname, port, finished };
}
