/** @module Expected-status policy: "2xx", "200-299", 204 → inclusive ranges, JSON-safe for /status. */
import { z } from "zod";

/** Inclusive status ranges, e.g. `[[200, 299], [304, 304]]`. */
export type StatusRanges = ReadonlyArray<readonly [number, number]>;

/** Parse one item of an expected-status list; undefined when it is not one. */
export function parseStatusItem(item: string | number): [number, number] | undefined {
  const text = String(item).trim().toLowerCase();
  let m = /^([1-5])xx$/.exec(text);
  if (m) return [Number(m[1]) * 100, Number(m[1]) * 100 + 99];
  m = /^(\d{3})\s*-\s*(\d{3})$/.exec(text);
  if (m && Number(m[1]) <= Number(m[2])) return [Number(m[1]), Number(m[2])];
  m = /^(\d{3})$/.exec(text);
  if (m && Number(m[1]) >= 100 && Number(m[1]) <= 599) return [Number(m[1]), Number(m[1])];
  return undefined;
}

/** True when `status` falls in one of the ranges. */
export function statusMatches(ranges: StatusRanges, status: number): boolean {
  return ranges.some(([lo, hi]) => status >= lo && status <= hi);
}

/** "2xx, 304" for messages. */
export function formatStatusRanges(ranges: StatusRanges): string {
  return ranges.map(([lo, hi]) => lo === hi ? String(lo) : lo % 100 === 0 && hi === lo + 99 ? `${lo / 100}xx` : `${lo}-${hi}`).join(", ");
}

const item = z.union([z.string(), z.number()]);

/**
 * The `expectStatus` option: one item or a list of "2xx" classes, "200-299" ranges and exact codes,
 * also accepted as one comma-separated string (`--expect-status 200,204` on the CLI).
 * @default ["2xx"]
 */
export const expectStatus = z.union([item, z.array(item)]).default(["2xx"]).transform((v, ctx): StatusRanges => {
  const items: Array<string | number> = (Array.isArray(v) ? v as Array<string | number> : [v]).flatMap((x): Array<string | number> => typeof x === "string" ? x.split(",") : [x]);
  const out: Array<[number, number]> = [];
  for (const x of items) {
    const r = parseStatusItem(x);
    if (!r) {
      ctx.addIssue({ code: "custom", message: `expected a status such as 200, "2xx" or "200-299", got ${JSON.stringify(x)}`, input: x });
      return z.NEVER;
    }
    out.push(r);
  }
  if (out.length === 0) {
    ctx.addIssue({ code: "custom", message: "expected at least one status", input: v });
    return z.NEVER;
  }
  return out;
});
