/** @module The one rounding of a measured time for reports: milliseconds to the microsecond. */

/**
 * `ms` with three decimals: every latency and round-trip fact is reported to the microsecond
 * (the wire carries `latencyUs` as an integer, docs/telemetry.md record type 1).
 * @example roundMs(1.23456) // 1.235
 */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
