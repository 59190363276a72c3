/**
 * @module `edgeprobe reflect sbi`: a small NRF over h2c (node:http2) that answers the heartbeat
 * PATCH of TS 29.510 §5.2.2.3.2 in one of four lab modes, for demos and the sbi probe's tests.
 *
 * Options (`--name value`): `mode` 204 (default) | 200 (NFProfile with `heart-beat-timer`) | 404
 * (not registered) | 503 (NF_CONGESTION with 3gpp-Sbi-Lci/Oci); `heart-beat-timer` seconds
 * (default 10); `lci` load metric 0-100 sent on every answer; `goaway-after` N requests per session.
 */
import http2 from "node:http2";
import { parseHostPort } from "../_wire/host_port.ts";
import type { Reflector, ReflectorHandle } from "../types.ts";
import { JSON_PATCH } from "./nrf_heartbeat.ts";
import { formatSenderTimestamp } from "./sender_timestamp.ts";

const MODES = ["204", "200", "404", "503"] as const;
type Mode = typeof MODES[number];
const INSTANCE_PATH = /^\/nnrf-nfm\/v1\/nf-instances\/([^/?]+)$/;

function intOption(extra: Readonly<Record<string, string>>, name: string, min: number, max: number): number | undefined {
  const v = extra[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new RangeError(`Cannot use --${name.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())} ${v}: expected an integer ${min}-${max}`);
  return n;
}

export const sbiReflector: Reflector = {
  kind: "sbi",
  summary: "NRF heartbeat responder over h2c (--mode 204|200|404|503, --heart-beat-timer S, --lci N, --goaway-after N)",
  defaultListen: "127.0.0.1:29510",
  async start(options, env) {
    const known = new Set(["mode", "heartBeatTimer", "lci", "goawayAfter"]);
    for (const k of Object.keys(options.extra)) if (!known.has(k)) throw new TypeError(`Cannot use option --${k} for the sbi reflector`);
    const mode = (options.extra.mode ?? "204") as Mode;
    if (!MODES.includes(mode)) throw new TypeError(`Cannot use --mode ${options.extra.mode}: expected one of ${MODES.join(", ")}`);
    // Up to 2^32-1: a lab NRF may advertise a value no timer holds, to test the agent's clamp.
    const heartBeatTimer = intOption(options.extra, "heartBeatTimer", 1, 2 ** 32 - 1) ?? 10;
    const lci = intOption(options.extra, "lci", 0, 100);
    const goawayAfter = intOption(options.extra, "goawayAfter", 1, 1_000_000);
    const { host, port } = parseHostPort(options.listen);
    const sessions = new Set<http2.ServerHttp2Session>();
    const server = http2.createServer();

    const problem = (stream: http2.ServerHttp2Stream, status: number, cause: string, title: string, extra: Record<string, string> = {}) => {
      stream.respond({ ":status": status, "content-type": "application/problem+json", ...extra });
      stream.end(JSON.stringify({ title, status, cause }));
    };

    server.on("session", (s) => {
      sessions.add(s);
      s.on("close", () => sessions.delete(s));
      s.on("error", () => {});
    });
    let served = new WeakMap<http2.Http2Session, number>();
    server.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
      stream.on("error", () => {});
      const method = String(headers[":method"]);
      const path = String(headers[":path"]);
      const chunks: Buffer[] = [];
      stream.on("data", (d: Buffer) => chunks.push(d));
      stream.on("end", () => {
        const session = stream.session;
        const now = formatSenderTimestamp(env.now());
        const id = INSTANCE_PATH.exec(path)?.[1];
        const load: Record<string, string> = lci !== undefined && id ? { "3gpp-sbi-lci": `Timestamp: "${now}"; Load-Metric: ${lci}%; NF-Instance: ${id}` } : {};
        env.log("debug", "sbi request", { method, path, priority: headers["3gpp-sbi-message-priority"], maxRspTime: headers["3gpp-sbi-max-rsp-time"] });
        if (!id || (method !== "PATCH" && method !== "GET")) {
          problem(stream, 404, "RESOURCE_URI_STRUCTURE_NOT_FOUND", "Not Found");
        } else if (method === "PATCH" && !String(headers["content-type"] ?? "").startsWith(JSON_PATCH)) {
          problem(stream, 415, "UNSUPPORTED_MEDIA_TYPE", "Unsupported Media Type");
        } else if (method === "PATCH" && !isPatch(Buffer.concat(chunks).toString())) {
          problem(stream, 400, "INVALID_MSG_FORMAT", "Bad Request");
        } else if (mode === "404") {
          problem(stream, 404, "RESOURCE_URI_STRUCTURE_NOT_FOUND", "NF instance not registered", load);
        } else if (mode === "503") {
          // TS 29.500 §6.4 overload control: the OCI tells consumers how much traffic to shed.
          problem(stream, 503, "NF_CONGESTION", "Service Unavailable", {
            "3gpp-sbi-lci": `Timestamp: "${now}"; Load-Metric: ${lci ?? 95}%; NF-Instance: ${id}`,
            "3gpp-sbi-oci": `Timestamp: "${now}"; Period-of-Validity: 60s; Overload-Reduction-Metric: 50%; NF-Instance: ${id}`,
          });
        } else if (mode === "200" || method === "GET") {
          stream.respond({ ":status": 200, "content-type": "application/json", ...load });
          stream.end(JSON.stringify({ nfInstanceId: decodeURIComponent(id), nfType: "SMF", nfStatus: "REGISTERED", heartBeatTimer }));
        } else {
          stream.respond({ ":status": 204, ...load });
          stream.end();
        }
        if (goawayAfter !== undefined && session) {
          const n = (served.get(session) ?? 0) + 1;
          served.set(session, n);
          if (n >= goawayAfter) session.goaway(http2.constants.NGHTTP2_NO_ERROR);
        }
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const addr = server.address();
    const handle: ReflectorHandle = {
      address: { address: typeof addr === "object" && addr ? addr.address : host, port: typeof addr === "object" && addr ? addr.port : port },
      restart() {
        // A restarting NRF says goodbye on every connection (RFC 9113 §6.8); clients reconnect.
        for (const s of sessions) s.goaway(http2.constants.NGHTTP2_NO_ERROR);
        served = new WeakMap();
      },
      close() {
        for (const s of sessions) s.destroy();
        return new Promise<void>((r) => server.close(() => r()));
      },
    };
    return handle;
  },
};

/** RFC 6902: a JSON array of operation objects. */
function isPatch(text: string): boolean {
  try {
    const v = JSON.parse(text);
    return Array.isArray(v) && v.every((op) => op && typeof op === "object" && typeof op.op === "string" && typeof op.path === "string");
  } catch {
    return false;
  }
}
