/**
 * @module The `sbi` probe kind: a 3GPP SBI request over one persistent HTTP/2 session per target
 * (TS 29.500 §5.2), or the NRF heartbeat of TS 29.510 §5.2.2.3.2.
 */
import {
  createH2Client,
  decodeProblemDetails,
  describeProblem,
  formatStatusRanges,
  isProblemJson,
  loadTls,
  statusMatches,
  wrapTlsError,
} from "../_http/mod.ts";
import type { H2Response, ProblemDetails, StatusRanges } from "../_http/mod.ts";
import type { FactValue, ProbeEvent, ProbeKind, ProbeOutcome } from "../types.ts";
import { loadFacts } from "./load_headers.ts";
import { decodeHeartbeatProfile, HEARTBEAT_PATCH, heartbeatPath, JSON_PATCH } from "./nrf_heartbeat.ts";
import { sbiOptions, type SbiProbeOptions } from "./options.ts";
import { formatSenderTimestamp } from "./sender_timestamp.ts";
import { adoptHeartbeatTimer, HEARTBEAT_TIMER_RANGE_S } from "./heartbeat_clamp.ts";
import { roundMs } from "../../common/round_ms.ts";

/**
 * "host:port" → "http://host:port"; a URL stays as is. With `asGiven` the URL may carry a query
 * (it is the request itself, not an apiRoot that `path` is appended to).
 */
export function apiRoot(target: string, asGiven = false): URL {
  const t = target.trim();
  const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(t) ? t : `http://${t}`);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`Cannot probe SBI apiRoot ${target}: scheme must be http (h2c) or https (h2)`);
  }
  if ((url.search && !asGiven) || url.hash) throw new TypeError(`Cannot probe SBI apiRoot ${target}: an apiRoot has no query or fragment`);
  return url;
}

export const sbi: ProbeKind<SbiProbeOptions> = {
  kind: "sbi",
  summary: "3GPP SBI request over HTTP/2 (h2c or h2) to an apiRoot, or NRF heartbeat (nrf-heartbeat mode)",
  example: "edgeprobe probe sbi http://nrf.5gc.example:8080 --path '/nnrf-nfm/v1/nf-instances?limit=1'",
  options: sbiOptions,
  create(spec, env) {
    const o = spec.options;
    const heartbeat = o.mode === "nrf-heartbeat";
    // Request mode without `path`: the target URL is the request, as given (no "/" appended).
    const asGiven = !heartbeat && o.path === undefined;
    const root = apiRoot(spec.target, asGiven);
    const prefix = root.pathname.replace(/\/+$/, "");
    const client = createH2Client({ origin: root.origin, tls: loadTls(o.tls), localAddress: spec.sourceAddress, maxBodyBytes: o.maxBodyBytes });
    const method = heartbeat ? "PATCH" : o.method;
    const path = heartbeat ? heartbeatPath(prefix, o.nfInstanceId!) : asGiven ? root.pathname + root.search : prefix + o.path;
    const body = heartbeat ? HEARTBEAT_PATCH : o.body === undefined ? undefined : typeof o.body === "string" ? o.body : JSON.stringify(o.body);
    const contentType = heartbeat ? JSON_PATCH : o.contentType;
    const expected: StatusRanges = heartbeat ? [[200, 200], [204, 204]] : o.expectStatus;
    const maxRspTime = o.maxRspTime ?? spec.timeoutMs;
    // Kept across runs: the interval the NRF asked for, reported on every result once adopted.
    let adoptedTimerS: number | undefined;

    const base = (res: H2Response): Record<string, FactValue> => ({
      status: res.status,
      protocol: res.protocol,
      sessions: client.stats.sessionsOpened,
      ...(res.connectMs !== undefined ? { connectMs: roundMs(res.connectMs) } : {}),
      ...(res.retried ? { retried: true } : {}),
      ...loadFacts(res.headers),
    });

    /** A non-success answer: ProblemDetails read when the peer sent one (malformed → DecodeError). */
    const negative = (res: H2Response, facts: Record<string, FactValue>, what: string): ProbeOutcome => {
      let problem: ProblemDetails | undefined;
      if (isProblemJson(res.headers["content-type"])) problem = decodeProblemDetails(res.body);
      if (problem?.cause) facts.cause = problem.cause;
      const notRegistered = heartbeat && res.status === 404;
      const detail = problem ? `: ${describeProblem(problem)}` : "";
      const message = notRegistered
        ? `Cannot heartbeat NF instance ${o.nfInstanceId} at ${root.origin}: not registered (404${detail})`
        : `Cannot ${what}: status ${res.status}, expected ${formatStatusRanges(expected)}${detail}`;
      return {
        ok: false,
        latencyMs: res.latencyMs,
        facts,
        failure: { kind: "rejected", message, reason: problem?.cause ?? (notRegistered ? "NOT_REGISTERED" : `HTTP ${res.status}`) },
      };
    };

    return {
      async run(signal) {
        const headers: Record<string, string> = {
          accept: "application/json, application/problem+json",
          "3gpp-sbi-sender-timestamp": formatSenderTimestamp(env.now()),
          "3gpp-sbi-max-rsp-time": String(maxRspTime),
          "3gpp-sbi-message-priority": String(o.priority),
          ...(body !== undefined ? { "content-type": contentType } : {}),
        };
        for (const [k, v] of Object.entries(o.headers)) headers[k.toLowerCase()] = v;
        const res = await client.request({ method, path, headers, body }, signal).catch((e) => {
          throw wrapTlsError(e, root.origin);
        });
        const facts = base(res);
        const what = heartbeat ? `heartbeat NF instance ${o.nfInstanceId} at ${root.origin}` : `${method} ${root.origin}${path}`;
        if (!statusMatches(expected, res.status)) return negative(res, facts, what);
        if (!heartbeat) return { ok: true, latencyMs: res.latencyMs, facts };

        const events: ProbeEvent[] = [];
        if (res.status === 200) {
          const profile = decodeHeartbeatProfile(res.body);
          if (profile.nfStatus) facts.nfStatus = profile.nfStatus;
          // TS 29.510 §5.2.2.3.2: a 200 carries the NRF's changed profile; a new heartBeatTimer is adopted.
          if (profile.heartBeatTimer !== undefined && profile.heartBeatTimer !== adoptedTimerS) {
            events.push({ type: "peer-event", detail: { event: "heartBeatTimer", from: adoptedTimerS ?? 0, to: profile.heartBeatTimer } });
            env.log("info", "NRF changed heartBeatTimer", { probe: spec.name, heartBeatTimer: profile.heartBeatTimer });
            adoptedTimerS = profile.heartBeatTimer;
          }
        }
        if (adoptedTimerS !== undefined) {
          // The NRF's value as sent; the interval run is clamped to a range and the clamp is a fact.
          const adopted = adoptHeartbeatTimer(adoptedTimerS);
          facts.heartBeatTimer = adoptedTimerS;
          facts.adoptedIntervalMs = adopted.intervalMs;
          if (adopted.clamped) {
            facts.heartBeatTimerClamped = true;
            if (events.length) env.log("warn", "NRF heartBeatTimer outside the accepted range; clamped", { probe: spec.name, heartBeatTimer: adoptedTimerS, range: `${HEARTBEAT_TIMER_RANGE_S.min}-${HEARTBEAT_TIMER_RANGE_S.max}s`, adoptedIntervalMs: adopted.intervalMs });
          }
        }
        return { ok: true, latencyMs: res.latencyMs, facts, ...(events.length ? { events } : {}) };
      },
      close: () => client.close(),
    };
  },
};
