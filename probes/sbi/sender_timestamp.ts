/**
 * @module `3gpp-Sbi-Sender-Timestamp` (TS 29.500 §5.2.3.2.18 [mem]): the date in the
 * `EEE, d MMM yyyy HH:mm:ss.SSS z` pattern, always in GMT, with milliseconds.
 */
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const p2 = (n: number) => String(n).padStart(2, "0");

/**
 * Format epoch ms for the header. The `d` of the pattern is the day without padding.
 * @example formatSenderTimestamp(Date.UTC(2023, 11, 31, 7, 4, 29, 61)) // "Sun, 31 Dec 2023 07:04:29.061 GMT"
 */
export function formatSenderTimestamp(epochMs: number): string {
  const d = new Date(epochMs);
  return `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}.${String(d.getUTCMilliseconds()).padStart(3, "0")} GMT`;
}

/**
 * Parse a peer's timestamp; accepts a zero-padded day too (peers send "Tue, 03 Jun 2025 ...").
 * @returns epoch ms, or undefined when the text does not follow the pattern.
 */
export function parseSenderTimestamp(text: string): number | undefined {
  const m = /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat), (\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2})\.(\d{3}) GMT$/
    .exec(text.trim());
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[4]), MONTHS.indexOf(m[3]), Number(m[2]), Number(m[5]), Number(m[6]), Number(m[7]), Number(m[8]));
  const d = new Date(ms);
  if (d.getUTCDate() !== Number(m[2]) || DAYS[d.getUTCDay()] !== m[1] || Number(m[5]) > 23 || Number(m[6]) > 59 || Number(m[7]) > 59) return undefined;
  return ms;
}
