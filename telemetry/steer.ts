/**
 * @module Ingest steering, both ends (docs/telemetry.md "Steering", docs/scale-out.md): a
 * JetStream collector that accepted a batch for an agent whose partition another collector
 * consumes names that collector's advertised base URL in the answer's `Edgeprobe-Steer` header;
 * the uplink (agent/uplink.ts) and the fleet simulator (simulate/simulation.ts) move their later
 * sends there, but only to a URL of their own configured list, so a hint adds no new trust, and
 * at most once per `steerEvery`, so a lease that moves back and forth cannot ping-pong agents.
 * Pure: the caller passes the clock's readings.
 */

/**
 * Response header of an accepted ingest answer: the base URL of the collector that consumes the
 * agent's partition. One absolute `http`/`https` URL, as the collectors' `store.advertise`.
 * Lower case: HTTP/2 and HTTP/3 field names are (RFC 9113 §8.2.1); HTTP/1.1's match case-insensitively.
 */
export const STEER_HEADER = "edgeprobe-steer";

/** Longest hint an agent reads: a base URL, not a document (a longer value is ignored as malformed). */
export const STEER_HINT_MAX = 2048;

/**
 * The form in which two collector base URLs are compared: scheme, host (lower case, as the WHATWG
 * URL parser gives it, IPv6 in brackets), port unless the scheme's default, and the path with a
 * trailing slash; no credentials, query or fragment. So `HTTP://C1.example:80/x` and
 * `http://c1.example/x/` are one collector. Undefined for anything that is not an http(s) URL.
 */
export function collectorBase(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if ((u.protocol !== "http:" && u.protocol !== "https:") || u.username !== "" || u.password !== "") return undefined;
  return `${u.protocol}//${u.host}${u.pathname.endsWith("/") ? u.pathname : u.pathname + "/"}`;
}

export type SteerDecision =
  | { readonly follow: true; readonly index: number }
  | {
    readonly follow: false;
    /**
     * none: no hint; off: steering is turned off (`steerEvery` 0); malformed: not an http(s) URL
     * or longer than STEER_HINT_MAX; unknown: not in the configured list; current: already there;
     * held: the last steer was less than `steerEvery` ago.
     */
    readonly reason: "none" | "off" | "malformed" | "unknown" | "current" | "held";
  };

/**
 * Whether to follow a steer hint, and to which entry of the configured list.
 * @param hint the `Edgeprobe-Steer` value of an accepted answer (null when absent).
 * @param bases the configured collectors (`collector`, then `failover`) through collectorBase().
 * @param current index of the collector that answered.
 * @param sinceLastSteerMs time since this agent last followed a hint (Infinity before its first).
 * @param everyMs the least time between two steers; 0 turns steering off.
 */
export function decideSteer(hint: string | null | undefined, bases: readonly (string | undefined)[], current: number, sinceLastSteerMs: number, everyMs: number): SteerDecision {
  if (hint == null || hint === "") return { follow: false, reason: "none" };
  if (!(everyMs > 0)) return { follow: false, reason: "off" };
  const base = hint.length <= STEER_HINT_MAX ? collectorBase(hint.trim()) : undefined;
  if (base === undefined) return { follow: false, reason: "malformed" };
  const index = bases.indexOf(base);
  if (index < 0) return { follow: false, reason: "unknown" };
  if (index === current) return { follow: false, reason: "current" };
  if (sinceLastSteerMs < everyMs) return { follow: false, reason: "held" };
  return { follow: true, index };
}
