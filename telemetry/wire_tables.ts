/**
 * @module The closed value tables of telemetry wire format v1 (docs/telemetry.md, record table):
 * probe failure kinds, probe states and verdicts, each with its explicit wire code.
 *
 * The codes are the wire format: a code, once shipped, never changes meaning (agents and
 * collectors of different builds talk to each other). Reordering a list here changes only the
 * order things are listed in (metrics, docs), never a byte; `wire_tables_test.ts` freezes the
 * codes against the table in docs/telemetry.md. Imports nothing, so every layer may use it.
 */

/** Why a run did not succeed: a closed set, so health and telemetry can switch on it (docs/health.md). */
export const FAILURE_KINDS = [
  "timeout", // the run's AbortSignal fired (TimeoutError) or the peer never answered
  "unreachable", // no route, host/network unreachable
  "refused", // connection refused, or ICMP port unreachable on a connected UDP socket
  "malformed", // bytes we could not decode (DecodeError)
  "rejected", // a well-formed negative answer: SIP 503, Diameter Result-Code != 2001, HTTP 404
  "local", // our side: bind failed, interface down, a bug
] as const;
export type FailureKind = typeof FAILURE_KINDS[number];

/** A probe result's status byte on the wire: 0 = ok, otherwise the failure kind. */
export const PROBE_STATUS_CODES = {
  ok: 0,
  timeout: 1,
  unreachable: 2,
  refused: 3,
  malformed: 4,
  rejected: 5,
  local: 6,
} as const satisfies Record<"ok" | FailureKind, number>;
export type ProbeStatus = keyof typeof PROBE_STATUS_CODES;

/** A probe's health state (docs/health.md). */
export const PROBE_STATES = ["unknown", "healthy", "unhealthy"] as const;
export type ProbeState = typeof PROBE_STATES[number];
export const PROBE_STATE_CODES = { unknown: 0, healthy: 1, unhealthy: 2 } as const satisfies Record<ProbeState, number>;

/** The node's verdict (docs/health.md). */
export const VERDICTS = ["UP", "DEGRADED", "DOWN"] as const;
export type Verdict = typeof VERDICTS[number];
export const VERDICT_CODES = { UP: 0, DEGRADED: 1, DOWN: 2 } as const satisfies Record<Verdict, number>;

/** code → name for decoding; `undefined` for a code this build does not know. */
function inverse<N extends string>(codes: Readonly<Record<N, number>>): ReadonlyMap<number, N> {
  return new Map(Object.entries(codes).map(([name, code]) => [code as number, name as N]));
}
export const PROBE_STATUS_BY_CODE: ReadonlyMap<number, ProbeStatus> = inverse(PROBE_STATUS_CODES);
export const PROBE_STATE_BY_CODE: ReadonlyMap<number, ProbeState> = inverse(PROBE_STATE_CODES);
export const VERDICT_BY_CODE: ReadonlyMap<number, Verdict> = inverse(VERDICT_CODES);
