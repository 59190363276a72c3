/**
 * @module One listener for HTTP/1.1, h2c (prior knowledge, RFC 9113 §3.3) and TLS (ALPN h2 and
 * http/1.1), built on node:net so it behaves the same on Bun, Deno and in the compiled binary.
 *
 * The first bytes decide: the 24-octet HTTP/2 preface → node:http2; a TLS handshake record
 * (content type 0x16, RFC 8446 §5.1) → node:http2 secure server with allowHTTP1; anything else is
 * HTTP/1.1, parsed here so that the header, request and idle timeouts are ours and the hot paths
 * answer from pre-encoded bytes (design.md: node:http on this front costs HTTP/1.1 dearly).
 */
import net from "node:net";
import http2 from "node:http2";
import { decodeChunked } from "./chunked.ts";
import { socketDuplex } from "./socket_duplex.ts";
import { bodyFraming, headerValue, HttpParseError, parseRequestHead, type RequestHead } from "./http1_head.ts";
import { PROBLEM_JSON, reasonPhrase } from "./problem.ts";
import { answerWithin, problemBytes, requestBudget as budget } from "./deadline.ts";
import { DEFAULT_LIMITS, type FastResponse, type Handler, type RequestInfo, type ServerHandle, type ServerLimits, type ServerOptions } from "./types.ts";
import { addAbortListener } from "../common/abortable.ts";
import { concatBytes } from "../common/bytes.ts";

const PREFACE = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
const enc = new TextEncoder();

function h1Problem(status: number, detail: string, close: boolean, cause?: string): Uint8Array {
  const body = problemBytes(status, detail, cause);
  const head = `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\ncontent-type: ${PROBLEM_JSON}\r\ncontent-length: ${body.length}\r\n${close ? "connection: close\r\n" : ""}\r\n`;
  return concat(enc.encode(head), body);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Run the handler under the request deadline (server/deadline.ts). */
function callHandler(handler: Handler, req: Request, info: RequestInfo, timeoutMs: number, controller: AbortController): Promise<Response> {
  return answerWithin(() => handler(req, info), timeoutMs, controller, (e) => console.error(e));
}

/**
 * Streams an HTTP/2 session may carry before this server closes it with its own GOAWAY
 * (RFC 9113 §6.8, graceful: streams in flight finish). Deno 2.9.6's node:http2 server aborts the
 * whole process (nghttp2's assertion `stream->closed_next == NULL` in find_stream_on_goaway_func,
 * or `free(): invalid pointer`) when a Deno client closes a session that carried more than
 * ~150 streams: measured on this front, 3 of 3 runs of 300 requests then a client close killed
 * it, and 40 of 40 runs at 200 streams against a bare node:http2 server (0 of 40 at 150); once the
 * server has sent GOAWAY first, the client's close does no harm. 100 keeps below that with room;
 * a load balancer polling every 100 ms reconnects every 10 s, as nginx's keepalive_requests
 * (1,000 by default) makes its h2 clients do.
 */
const H2_STREAMS_PER_SESSION = 100;

function closeAfterStreams(session: http2.ServerHttp2Session, streams: number): void {
  let n = 0;
  session.on("stream", (stream: http2.ServerHttp2Stream) => {
    if (++n !== streams) return;
    stream.once("close", () => {
      if (!session.closed && !session.destroyed) session.close();
    });
  });
}

function isStreaming(res: Response): boolean {
  return (res.headers.get("content-type") ?? "").startsWith("text/event-stream");
}

export async function startServer(options: ServerOptions): Promise<ServerHandle> {
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const log = options.log ?? (() => {});
  const fast = options.fast ?? (() => undefined);
  const handler = options.handler;
  const sockets = new Set<net.Socket>();
  let inFlight = 0;
  let draining = false;
  let idleWaiters: Array<() => void> = [];
  const requestDone = () => {
    inFlight--;
    if (inFlight === 0) for (const w of idleWaiters.splice(0)) w();
  };

  // ---- HTTP/2 (h2c and TLS) -------------------------------------------------------------
  const h2Settings = { maxConcurrentStreams: 128, maxHeaderListSize: limits.maxHeaderBytes };
  const h2c = http2.createServer({ settings: h2Settings, maxSessionMemory: 10 });
  h2c.setTimeout(limits.idleTimeoutMs, () => {});
  h2c.on("stream", (stream, headers) => onH2Stream(stream as http2.ServerHttp2Stream, headers, "h2c"));
  h2c.on("sessionError", (e) => log("debug", "h2c session error", { error: String(e) }));
  h2c.on("session", (session) => closeAfterStreams(session, H2_STREAMS_PER_SESSION));

  let tlsServer: http2.Http2SecureServer | undefined;
  if (options.tls) {
    tlsServer = http2.createSecureServer({
      cert: options.tls.cert,
      key: options.tls.key,
      ca: options.tls.ca,
      requestCert: options.tls.requestCert,
      allowHTTP1: true,
      minVersion: "TLSv1.2",
      ALPNProtocols: ["h2", "http/1.1"],
      settings: h2Settings,
    });
    tlsServer.setTimeout(limits.idleTimeoutMs);
    // The compat API serves both ALPN results the same way over TLS.
    tlsServer.on("request", (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => onCompatRequest(req, res));
    tlsServer.on("tlsClientError", (e) => log("debug", "tls client error", { error: String(e) }));
    tlsServer.on("session", (session) => closeAfterStreams(session, H2_STREAMS_PER_SESSION));
  }

  function h2Fast(stream: http2.ServerHttp2Stream, f: FastResponse, head: boolean) {
    stream.respond({ ":status": f.status, "content-type": f.contentType, "content-length": f.body.length, "cache-control": "no-store" }, { endStream: head });
    if (!head) stream.end(f.body);
  }

  function onH2Stream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, protocol: "h2c" | "h2") {
    stream.on("error", () => {});
    const method = String(headers[":method"] ?? "GET");
    const path = String(headers[":path"] ?? "/");
    const f = (method === "GET" || method === "HEAD") ? fast(method, stripQuery(path)) : undefined;
    if (f) return h2Fast(stream, f, method === "HEAD");
    inFlight++;
    const socket = stream.session?.socket;
    const controller = new AbortController();
    stream.on("close", () => controller.abort(new DOMException("client went away", "AbortError")));
    const chunks: Uint8Array[] = [];
    let size = 0;
    let tooBig = false;
    stream.on("data", (c: Uint8Array) => {
      size += c.length;
      if (size > limits.maxBodyBytes) tooBig = true;
      else chunks.push(c);
    });
    stream.on("end", async () => {
      try {
        if (tooBig) {
          const body = problemBytes(413, `body exceeds ${limits.maxBodyBytes} bytes`);
          stream.respond({ ":status": 413, "content-type": PROBLEM_JSON, "content-length": body.length });
          stream.end(body);
          return;
        }
        const req = toRequest("http", method, path, headers, concatBytes(chunks, size), controller.signal);
        const timeoutMs = requestBudget(limits, req.headers);
        const info: RequestInfo = { protocol, remoteAddress: socket?.remoteAddress ?? "", remotePort: socket?.remotePort ?? 0, signal: controller.signal };
        const res = await callHandler(handler, req, info, timeoutMs, controller);
        if (stream.destroyed) return;
        const out: Record<string, string | number> = { ":status": res.status };
        res.headers.forEach((v, k) => {
          if (k !== "connection" && k !== "transfer-encoding" && k !== "keep-alive") out[k] = v;
        });
        if (!res.body || method === "HEAD") {
          stream.respond(out, { endStream: true });
          return;
        }
        if (isStreaming(res)) {
          stream.respond(out);
          await pipeBody(res.body, (c) => stream.write(c), () => stream.destroyed);
          if (!stream.destroyed) stream.end();
          return;
        }
        const body = new Uint8Array(await res.arrayBuffer());
        out["content-length"] = body.length;
        stream.respond(out);
        stream.end(body);
      } catch (e) {
        log("warn", "Cannot answer h2 request", { error: String(e) });
        if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      } finally {
        requestDone();
      }
    });
  }

  async function onCompatRequest(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) {
    const method = req.method;
    const path = req.url;
    const f = (method === "GET" || method === "HEAD") ? fast(method, stripQuery(path)) : undefined;
    if (f) {
      res.writeHead(f.status, { "content-type": f.contentType, "content-length": f.body.length, "cache-control": "no-store" });
      if (method === "HEAD") res.end();
      else res.end(f.body);
      return;
    }
    inFlight++;
    const controller = new AbortController();
    res.on("close", () => controller.abort(new DOMException("client went away", "AbortError")));
    try {
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const c of req as AsyncIterable<Uint8Array>) {
        size += c.length;
        if (size > limits.maxBodyBytes) {
          const body = problemBytes(413, `body exceeds ${limits.maxBodyBytes} bytes`);
          res.writeHead(413, { "content-type": PROBLEM_JSON, "content-length": body.length });
          res.end(body);
          return;
        }
        chunks.push(c);
      }
      const request = toRequest("https", method, path, req.headers, concatBytes(chunks, size), controller.signal);
      const timeoutMs = requestBudget(limits, request.headers);
      const info: RequestInfo = {
        protocol: req.httpVersion === "2.0" ? "h2" : "http/1.1+tls",
        remoteAddress: req.socket?.remoteAddress ?? "",
        remotePort: req.socket?.remotePort ?? 0,
        signal: controller.signal,
      };
      const response = await callHandler(handler, request, info, timeoutMs, controller);
      const out: Record<string, string> = {};
      response.headers.forEach((v, k) => {
        if (k !== "connection" && k !== "transfer-encoding" && k !== "keep-alive") out[k] = v;
      });
      if (!response.body || method === "HEAD") {
        res.writeHead(response.status, out);
        res.end();
        return;
      }
      if (isStreaming(response)) {
        res.writeHead(response.status, out);
        await pipeBody(response.body, (c) => res.write(c), () => res.destroyed);
        res.end();
        return;
      }
      const body = new Uint8Array(await response.arrayBuffer());
      res.writeHead(response.status, { ...out, "content-length": String(body.length) });
      res.end(body);
    } catch (e) {
      log("warn", "Cannot answer TLS request", { error: String(e) });
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": PROBLEM_JSON });
        res.end(problemBytes(500, "the handler failed"));
      }
    } finally {
      requestDone();
    }
  }

  // ---- HTTP/1.1 and protocol detection --------------------------------------------------
  function onConnection(socket: net.Socket) {
    if (sockets.size >= limits.maxConnections || draining) {
      // Over the limit: refuse fast so the client's retry goes elsewhere.
      socket.end(h1Problem(503, draining ? "draining" : `more than ${limits.maxConnections} connections`, true));
      socket.destroySoon?.();
      setTimeout(() => socket.destroy(), 100).unref?.();
      return;
    }
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let buf: Uint8Array = new Uint8Array(0);
    let mode: "sniff" | "h1" = "sniff";
    let busy = false;
    let closeAfter = false;
    let headTimer: ReturnType<typeof setTimeout> | undefined;
    let idleTimer: ReturnType<typeof setTimeout> | undefined;

    const armHead = () => {
      if (headTimer) return;
      clearTimeout(idleTimer);
      idleTimer = undefined;
      headTimer = setTimeout(() => {
        // Slowloris: the head did not arrive in time (design.md limits.headerTimeout).
        if (mode === "h1" && buf.length > 0 && !busy) socket.end(h1Problem(408, `request head not received within ${limits.headerTimeoutMs}ms`, true));
        socket.destroySoon?.();
        setTimeout(() => socket.destroy(), 50).unref?.();
      }, limits.headerTimeoutMs);
    };
    const armIdle = () => {
      clearTimeout(headTimer);
      headTimer = undefined;
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => socket.destroy(), limits.idleTimeoutMs);
    };
    const clearTimers = () => {
      clearTimeout(headTimer);
      clearTimeout(idleTimer);
      headTimer = idleTimer = undefined;
    };
    socket.on("close", clearTimers);
    armHead();

    const onData = (chunk: Uint8Array) => {
      buf = concat(buf, chunk);
      if (mode === "sniff") {
        const n = Math.min(buf.length, PREFACE.length);
        let isPreface = true;
        for (let i = 0; i < n; i++) if (buf[i] !== PREFACE[i]) isPreface = false;
        if (isPreface && buf.length < PREFACE.length) return; // wait for the rest of the preface
        if (isPreface) return handOff(h2c);
        if (buf[0] === 0x16) {
          if (tlsServer) {
            clearTimers();
            socket.off("data", onData);
            socket.pause();
            const first = buf;
            buf = new Uint8Array(0);
            tlsServer.emit("connection", socketDuplex(socket, first));
            return;
          }
          socket.destroy();
          return;
        }
        mode = "h1";
      }
      if (!busy) void pump();
    };
    const handOff = (server: http2.Http2Server) => {
      clearTimers();
      socket.off("data", onData);
      socket.pause();
      socket.unshift(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
      buf = new Uint8Array(0);
      server.emit("connection", socket);
      socket.resume();
    };
    socket.on("data", onData);

    async function pump() {
      busy = true;
      try {
        while (buf.length > 0 && !socket.destroyed) {
          let head: RequestHead | undefined;
          try {
            head = parseRequestHead(buf, limits.maxHeaderBytes);
          } catch (e) {
            const status = e instanceof HttpParseError ? e.status : 400;
            socket.end(h1Problem(status, (e as Error).message, true));
            return;
          }
          if (!head) {
            armHead();
            return;
          }
          // Body framing (RFC 9112 §6.3); ambiguous heads are refused (server/http1_head.ts).
          let framing;
          try {
            framing = bodyFraming(head);
          } catch (e) {
            socket.end(h1Problem((e as HttpParseError).status ?? 400, (e as Error).message, true));
            return;
          }
          let body: Uint8Array<ArrayBuffer> | undefined;
          let consumed = head.length;
          if (framing.kind === "chunked") {
            let r;
            try {
              r = decodeChunked(buf, head.length, limits.maxBodyBytes);
            } catch (e) {
              socket.end(h1Problem((e as HttpParseError).status ?? 400, (e as Error).message, true));
              return;
            }
            if (!r) {
              armHead();
              return;
            }
            body = r.body.slice();
            consumed = r.end;
          } else if (framing.kind === "length") {
            const n = framing.length;
            if (n > limits.maxBodyBytes) {
              socket.end(h1Problem(413, `body exceeds ${limits.maxBodyBytes} bytes`, true));
              return;
            }
            if (buf.length < head.length + n) {
              armHead();
              return;
            }
            body = buf.slice(head.length, head.length + n) as Uint8Array<ArrayBuffer>;
            consumed = head.length + n;
          }
          buf = buf.subarray(consumed);
          clearTimeout(headTimer);
          headTimer = undefined;
          const connHdr = (headerValue(head, "connection") ?? "").toLowerCase();
          closeAfter = head.version === "1.0" ? !connHdr.includes("keep-alive") : connHdr.includes("close");
          if (draining) closeAfter = true;
          const path = head.target;
          const f = head.method === "GET" ? fast("GET", stripQuery(path)) : undefined;
          if (f) {
            socket.write(closeAfter ? withClose(f) : f.h1);
          } else {
            await serveH1(head, body, closeAfter);
          }
          if (closeAfter) {
            socket.end();
            return;
          }
        }
        if (!socket.destroyed) armIdle();
      } finally {
        busy = false;
      }
    }

    async function serveH1(head: RequestHead, body: Uint8Array<ArrayBuffer> | undefined, close: boolean) {
      inFlight++;
      const controller = new AbortController();
      const onClose = () => controller.abort(new DOMException("client went away", "AbortError"));
      socket.once("close", onClose);
      try {
        const headers = new Headers();
        for (const [k, v] of head.headers) headers.append(k, v);
        const host = headers.get("host") ?? "localhost";
        const url = head.target.startsWith("http://") || head.target.startsWith("https://") ? head.target : `http://${host}${head.target}`;
        const req = new Request(url, {
          method: head.method,
          headers,
          body: head.method === "GET" || head.method === "HEAD" ? undefined : body,
          signal: controller.signal,
        });
        const timeoutMs = requestBudget(limits, headers);
        const info: RequestInfo = { protocol: "http/1.1", remoteAddress: socket.remoteAddress ?? "", remotePort: socket.remotePort ?? 0, signal: controller.signal };
        const res = await callHandler(handler, req, info, timeoutMs, controller);
        if (socket.destroyed) return;
        let h = `HTTP/1.1 ${res.status} ${reasonPhrase(res.status)}\r\n`;
        res.headers.forEach((v, k) => {
          if (k !== "connection" && k !== "transfer-encoding" && k !== "content-length" && k !== "keep-alive") h += `${k}: ${v}\r\n`;
        });
        if (close) h += "connection: close\r\n";
        const noBody = head.method === "HEAD" || res.status === 204 || res.status === 304;
        if (res.body && !noBody && isStreaming(res)) {
          socket.write(enc.encode(h + "transfer-encoding: chunked\r\n\r\n"));
          await pipeBody(res.body, (c) => socket.write(concat(concat(enc.encode(c.length.toString(16) + "\r\n"), c), enc.encode("\r\n"))), () => socket.destroyed);
          if (!socket.destroyed) socket.write(enc.encode("0\r\n\r\n"));
          return;
        }
        const bytes = res.body ? new Uint8Array(await res.arrayBuffer()) : new Uint8Array(0);
        if (res.status !== 204 && res.status !== 304) h += `content-length: ${bytes.length}\r\n`;
        socket.write(concat(enc.encode(h + "\r\n"), noBody ? new Uint8Array(0) : bytes));
      } catch (e) {
        log("warn", "Cannot answer HTTP/1.1 request", { error: String(e) });
        if (!socket.destroyed) socket.end(h1Problem(500, "the handler failed", true));
      } finally {
        socket.off("close", onClose);
        requestDone();
      }
    }
  }

  const server = net.createServer({ noDelay: true }, onConnection);
  server.on("error", (e) => log("error", "server error", { error: String(e) }));
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e) => reject(new Error(`Cannot listen on ${options.hostname}:${options.port}: ${e.message}`, { cause: e })));
    server.listen({ host: options.hostname, port: options.port, backlog: 1024 }, () => resolve());
  });
  const addr = server.address() as net.AddressInfo;
  return {
    hostname: addr.address,
    port: addr.port,
    connections: () => sockets.size,
    async close(signal?: AbortSignal) {
      draining = true;
      server.close();
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          idleWaiters.push(resolve);
          addAbortListener(signal, resolve);
        });
      }
      for (const s of sockets) s.destroy();
      h2c.close();
      tlsServer?.close();
      idleWaiters = [];
    },
  };
}

/** The request timeout, shortened by the client's 3gpp-Sbi-Max-Rsp-Time (TS 29.500 §5.2.3.2). */
function requestBudget(limits: ServerLimits, headers: Headers): number {
  return budget(limits.requestTimeoutMs, headers);
}

/** A fetch Request from node:http2 headers (pseudo-headers dropped, :authority as the host). */
function toRequest(scheme: "http" | "https", method: string, path: string, headers: http2.IncomingHttpHeaders, body: Uint8Array<ArrayBuffer>, signal: AbortSignal): Request {
  const hdrs = new Headers();
  for (const [k, v] of Object.entries(headers)) if (!k.startsWith(":") && v !== undefined) hdrs.set(k, Array.isArray(v) ? v.join(", ") : String(v));
  const authority = String(headers[":authority"] ?? hdrs.get("host") ?? "localhost");
  return new Request(`${scheme}://${authority}${path}`, {
    method,
    headers: hdrs,
    body: method === "GET" || method === "HEAD" ? undefined : body,
    signal,
  });
}

function withClose(f: FastResponse): Uint8Array {
  // Insert "connection: close" before the blank line of the pre-encoded head.
  const text = new TextDecoder().decode(f.h1.subarray(0, f.h1.length - f.body.length));
  return concat(enc.encode(text.slice(0, -2) + "connection: close\r\n\r\n"), f.body);
}

function stripQuery(path: string): string {
  const q = path.indexOf("?");
  return q < 0 ? path : path.slice(0, q);
}

async function pipeBody(body: ReadableStream<Uint8Array>, write: (c: Uint8Array) => unknown, stopped: () => boolean): Promise<void> {
  const reader = body.getReader();
  try {
    while (!stopped()) {
      const { done, value } = await reader.read();
      if (done) break;
      if (value?.length) write(value);
    }
  } catch {
    // the client went away or the producer failed; the connection is closed below
  } finally {
    reader.cancel().catch(() => {});
  }
}
