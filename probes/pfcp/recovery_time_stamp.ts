/** @module PFCP Recovery Time Stamp: NTP seconds (TS 29.244 §8.2.65, RFC 5905 §6). */

/** Seconds from 1900-01-01 (NTP era 0) to 1970-01-01 (RFC 5905 §6, Figure 4). */
export const NTP_UNIX_OFFSET_S = 2_208_988_800;

/** Unix epoch ms → the 32-bit NTP seconds field (modulo 2^32, so era 1 after 2036 wraps). */
export function ntpSecondsFromUnixMs(unixMs: number): number {
  return (Math.floor(unixMs / 1000) + NTP_UNIX_OFFSET_S) >>> 0;
}

/**
 * The 32-bit NTP seconds field → an ISO date, assuming the era closest to `nearUnixMs`
 * (RFC 5905 §6: the era is not on the wire; pick the one that makes the time closest to now).
 */
export function isoFromNtpSeconds(ntp: number, nearUnixMs: number): string {
  const era0 = (ntp - NTP_UNIX_OFFSET_S) * 1000;
  const candidates = [era0 - 2 ** 32 * 1000, era0, era0 + 2 ** 32 * 1000];
  let best = candidates[1];
  for (const c of candidates) if (Math.abs(c - nearUnixMs) < Math.abs(best - nearUnixMs)) best = c;
  return new Date(best).toISOString().replace(".000Z", "Z");
}
