/**
 * @module Which final SIP status codes count as "up": exact codes and classes like "2xx", in the
 * spirit of Kamailio's `ds_ping_reply_codes` (`class=2;code=404`).
 */
import { z } from "zod";

/** One entry: a status code 100-699 or a class such as "2xx". */
const entry = z.union([
  z.number().int().min(100).max(699),
  z.string().regex(/^([1-6]xx|[1-6]\d\d)$/i, 'expected a status code such as 200 or a class such as "2xx"'),
]);

/**
 * The `acceptCodes` option: a list, one code, or a comma-separated string (CLI `--accept-codes 2xx,404`).
 * Output: a normalized list of numbers and lower-case classes.
 */
export const acceptCodesSchema = z.union([z.array(entry).min(1), entry, z.string()]).transform((v, ctx) => {
  const raw = Array.isArray(v) ? v : typeof v === "string" ? v.split(",").map((s) => s.trim()) : [v];
  const out: Array<number | string> = [];
  for (const item of raw) {
    const parsed = entry.safeParse(typeof item === "string" && /^\d+$/.test(item) ? Number(item) : item);
    if (!parsed.success) {
      ctx.addIssue({ code: "custom", message: `expected status codes such as 200 or classes such as "2xx", got ${JSON.stringify(item)}`, input: item });
      return z.NEVER;
    }
    out.push(typeof parsed.data === "string" ? parsed.data.toLowerCase() : parsed.data);
  }
  return out;
});

/** True when `status` is listed or falls in a listed class. */
export function isAccepted(status: number, accepted: readonly (number | string)[]): boolean {
  return accepted.some((a) => typeof a === "number" ? a === status : /^\d\d\d$/.test(a) ? Number(a) === status : Number(a[0]) === Math.floor(status / 100));
}
