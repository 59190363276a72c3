/**
 * @module One persistent HTTP/2 session per target over node:http2, which does h2c prior knowledge
 * (`http://`, RFC 9113 §3.3) and h2 over TLS (`https://`, ALPN "h2") on Bun and on Deno
 * (docs/protocols.md, runtime notes: plain fetch cannot reach an h2c-only peer).
 *
 * The session is opened on first use and kept. After a GOAWAY, a reset or any session error it is
 * dropped and the next request opens a new one; a request that fails on a *reused* session before
 * any response arrives is retried once on a fresh session, as an HTTP/2 client would after the
 * peer silently restarted.
 */
import http2 from "node:http2";
import { ProbeFailureError } from "../errors.ts";
import type { LoadedTls } from "./tls_options.ts";
import { abortReason, addAbortListener } from "../../common/abortable.ts";
import { concatBytes } from "../../common/bytes.ts";

export interface H2ClientOptions {
  /** `http://host:port` (h2c prior knowledge) or `https://host:port` (h2 over TLS). */
  readonly origin: string;
  readonly tls?: LoadedTls;
  /** Local address to bind (config `sourceAddress`). */
  readonly localAddress?: string;
  /** Body bytes kept at most; the rest is read and dropped. @default 65536 */
  readonly maxBodyBytes?: number;
}

export interface H2Request {
  readonly method: string;
  /** Path and query, starting with "/". */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
}

export interface H2Response {
  readonly status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  /** Time from sending the request to the end of the response body. */
  readonly latencyMs: number;
  /** Set when this request had to open a session: the TCP (+TLS) and SETTINGS time. */
  readonly connectMs?: number;
  /** ALPN protocol over TLS ("h2"), "h2c" in clear. */
  readonly protocol: string;
  /** True when a reused session failed and the request was sent again on a new one. */
  readonly retried: boolean;
}

/** Counters the probes expose as facts. */
export interface H2ClientStats {
  sessionsOpened: number;
  goawaysReceived: number;
}

export interface H2Client {
  request(req: H2Request, signal: AbortSignal): Promise<H2Response>;
  readonly stats: Readonly<H2ClientStats>;
  close(): Promise<void>;
}

interface Live {
  readonly session: http2.ClientHttp2Session;
  dead: boolean;
  used: boolean;
}

const RST_NAMES: Record<number, string> = {
  1: "PROTOCOL_ERROR",
  2: "INTERNAL_ERROR",
  3: "FLOW_CONTROL_ERROR",
  5: "STREAM_CLOSED",
  6: "FRAME_SIZE_ERROR",
  7: "REFUSED_STREAM",
  8: "CANCEL",
  9: "COMPRESSION_ERROR",
  10: "CONNECT_ERROR",
  11: "ENHANCE_YOUR_CALM",
  12: "INADEQUATE_SECURITY",
  13: "HTTP_1_1_REQUIRED",
};

/** Errors that mean "this session is gone", worth one retry on a fresh session. */
function isSessionLoss(e: unknown): boolean {
  const code = (e as { code?: string })?.code;
  return code === "ECONNRESET" || code === "EPIPE" || code === "ERR_HTTP2_GOAWAY_SESSION" ||
    code === "ERR_HTTP2_INVALID_SESSION" || code === "ERR_HTTP2_SESSION_ERROR" || code === "ERR_HTTP2_STREAM_CANCEL" ||
    (e instanceof ProbeFailureError && e.reason === "SESSION_CLOSED");
}

/**
 * Create a client for one origin. Nothing is connected until the first request.
 * @example
 * const c = createH2Client({ origin: "http://127.0.0.1:8080" });
 * const r = await c.request({ method: "GET", path: "/" }, AbortSignal.timeout(2000));
 * await c.close();
 */
export function createH2Client(options: H2ClientOptions): H2Client {
  const url = new URL(options.origin);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`Cannot use ${options.origin} for HTTP/2: scheme must be http (h2c) or https (h2)`);
  }
  const origin = `${url.protocol}//${url.host}`;
  const secure = url.protocol === "https:";
  const maxBody = options.maxBodyBytes ?? 65536;
  const stats: H2ClientStats = { sessionsOpened: 0, goawaysReceived: 0 };
  let live: Live | undefined;
  let closed = false;

  function connect(signal: AbortSignal): Promise<Live> {
    if (signal.aborted) return Promise.reject(abortReason(signal));
    const t = options.tls;
    const session = http2.connect(origin, {
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      ...(secure
        ? {
          ca: t?.ca,
          cert: t?.cert,
          key: t?.key,
          rejectUnauthorized: t?.rejectUnauthorized ?? true,
          minVersion: "TLSv1.2",
          ...(t?.servername ? { servername: t.servername } : {}),
        }
        : {}),
    } as http2.SecureClientSessionOptions);
    const entry: Live = { session, dead: false, used: false };
    stats.sessionsOpened++;
    const drop = () => {
      entry.dead = true;
      if (live === entry) live = undefined;
    };
    // RFC 9113 §6.8: after GOAWAY no new streams go on this connection; in-flight ones may finish.
    session.on("goaway", () => {
      stats.goawaysReceived++;
      drop();
    });
    session.on("close", drop);
    session.on("error", drop);
    return new Promise<Live>((resolve, reject) => {
      const onAbort = () => {
        cleanup();
        session.destroy();
        reject(abortReason(signal));
      };
      const onError = (e: Error) => {
        cleanup();
        session.destroy();
        reject(e);
      };
      const onConnect = () => {
        cleanup();
        if (secure) {
          const alpn = (session.socket as { alpnProtocol?: string | false } | undefined)?.alpnProtocol;
          if (alpn && alpn !== "h2") {
            session.destroy();
            reject(new ProbeFailureError("rejected", `Cannot use HTTP/2 with ${origin}: peer chose ALPN ${alpn}`, { reason: "ALPN" }));
            return;
          }
        }
        resolve(entry);
      };
      const cleanup = () => {
        offAbort();
        session.off("error", onError);
        session.off("connect", onConnect);
      };
      const offAbort = addAbortListener(signal, onAbort);
      session.once("error", onError);
      session.once("connect", onConnect);
    });
  }

  function exchange(entry: Live, req: H2Request, signal: AbortSignal): Promise<Omit<H2Response, "connectMs" | "retried" | "protocol">> {
    if (signal.aborted) return Promise.reject(abortReason(signal));
    return new Promise((resolve, reject) => {
      const t0 = performance.now();
      let stream: http2.ClientHttp2Stream;
      try {
        stream = entry.session.request({
          ":method": req.method,
          ":path": req.path,
          ...req.headers,
        }, { endStream: req.body === undefined });
      } catch (e) {
        entry.dead = true;
        if (live === entry) live = undefined;
        reject(e);
        return;
      }
      entry.used = true;
      let status = 0;
      let headers: Record<string, string> = {};
      const chunks: Uint8Array[] = [];
      let kept = 0;
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        offAbort();
        fn();
      };
      const onAbort = () => {
        finish(() => {
          stream.close(http2.constants.NGHTTP2_CANCEL);
          reject(abortReason(signal));
        });
      };
      const offAbort = addAbortListener(signal, onAbort);
      stream.on("response", (h) => {
        status = Number(h[":status"]);
        headers = {};
        for (const [k, v] of Object.entries(h)) {
          if (k.startsWith(":") || v === undefined) continue;
          headers[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : String(v);
        }
      });
      stream.on("data", (d: Uint8Array) => {
        if (kept < maxBody) {
          const part = d.subarray(0, maxBody - kept);
          chunks.push(part);
          kept += part.byteLength;
        }
      });
      const failClosed = () => {
        const code = stream.rstCode ?? 0;
        if (code === http2.constants.NGHTTP2_REFUSED_STREAM) {
          return new ProbeFailureError("refused", `Cannot get an answer from ${origin}${req.path}: stream refused (RST_STREAM REFUSED_STREAM)`, { reason: "REFUSED_STREAM" });
        } else if (code !== 0) {
          const name = RST_NAMES[code] ?? `code ${code}`;
          return new ProbeFailureError("rejected", `Cannot get an answer from ${origin}${req.path}: stream reset by the peer (RST_STREAM ${name})`, { reason: name });
        }
        if (!entry.session.closed && !entry.session.destroyed) {
          // Bun 1.4.5 leaves rstCode at 0 after a peer RST_STREAM; the session being alive tells it apart.
          return new ProbeFailureError("rejected", `Cannot get an answer from ${origin}${req.path}: stream reset by the peer (RST_STREAM)`, { reason: "RST_STREAM" });
        }
        return new ProbeFailureError("unreachable", `Cannot get an answer from ${origin}${req.path}: the session closed before the response ended`, { reason: "SESSION_CLOSED" });
      };
      stream.on("end", () => {
        // No response head: wait for 'close', which carries the RST_STREAM code.
        if (status === 0) return;
        finish(() => {
          const body = concatBytes(chunks, kept);
          resolve({ status, headers, body, latencyMs: performance.now() - t0 });
        });
      });
      // A peer's RST_STREAM surfaces as an 'error' (ERR_HTTP2_STREAM_ERROR) before 'close'.
      stream.on("error", (e) => {
        // ERR_HTTP2_ERROR is nghttp2 refusing what the peer sent (a frame that breaks RFC 9113):
        // our side resets the stream with INTERNAL_ERROR, so it is the peer's malformed answer,
        // not a reset by the peer.
        if ((e as { code?: string }).code === "ERR_HTTP2_ERROR") {
          return finish(() => reject(new ProbeFailureError("malformed", `Cannot get an answer from ${origin}${req.path}: the peer broke HTTP/2 (${e.message})`, { reason: "PROTOCOL_ERROR", cause: e })));
        }
        finish(() => reject((stream.rstCode ?? 0) !== 0 ? Object.assign(failClosed(), { cause: e }) : e));
      });
      stream.on("close", () => finish(() => reject(failClosed())));
      if (req.body !== undefined) stream.end(req.body);
    });
  }

  return {
    stats,
    async request(req, signal) {
      if (closed) throw new Error(`Cannot send a request to ${origin}: the client is closed`);
      for (let attempt = 0;; attempt++) {
        let entry = live && !live.dead && !live.session.closed && !live.session.destroyed ? live : undefined;
        let connectMs: number | undefined;
        const reused = entry !== undefined && entry.used;
        if (!entry) {
          const t0 = performance.now();
          entry = await connect(signal);
          connectMs = performance.now() - t0;
          if (closed) {
            entry.session.destroy();
            throw new Error(`Cannot send a request to ${origin}: the client is closed`);
          }
          live = entry;
        }
        try {
          const r = await exchange(entry, req, signal);
          const alpn = secure ? (entry.session.socket as { alpnProtocol?: string } | undefined)?.alpnProtocol || "h2" : "h2c";
          return { ...r, protocol: alpn, retried: attempt > 0, ...(connectMs !== undefined ? { connectMs } : {}) };
        } catch (e) {
          // A reused session the peer already closed (its FIN not yet seen) fails the stream with
          // a session error or, on Bun, a CANCEL reset: either way the session is gone, not the answer.
          const gone = entry.dead || entry.session.closed || entry.session.destroyed || (e as { reason?: string }).reason === "CANCEL";
          if (reused && attempt === 0 && !signal.aborted && (isSessionLoss(e) || gone)) {
            entry.dead = true;
            if (live === entry) live = undefined;
            entry.session.destroy();
            continue;
          }
          throw e;
        }
      }
    },
    close() {
      closed = true;
      const s = live?.session;
      live = undefined;
      if (!s || s.closed || s.destroyed) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          s.destroy();
          resolve();
        }, 500);
        s.close(() => {
          clearTimeout(t);
          resolve();
        });
      });
    },
  };
}
