/** @module Durations as written in config ("250ms", "5s", "1m") and their zod schema. */
import { z } from "zod";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parse "250ms" | "5s" | "1.5m" | "1h" into milliseconds; undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(text);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNIT_MS[m[2]]);
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms >= 3_600_000) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000}m`;
  if (ms % 1000 === 0 && ms >= 1000) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** A duration field: a string such as "5s", or a bare number of milliseconds. Output: ms. */
export const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  if (typeof v === "number") {
    if (Number.isFinite(v) && v >= 0) return Math.round(v);
    ctx.addIssue({ code: "custom", message: `expected a duration such as 5s, got ${v}`, input: v });
    return z.NEVER;
  }
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({ code: "custom", message: `expected a duration such as 5s, got ${JSON.stringify(v)}`, input: v });
    return z.NEVER;
  }
  return ms;
});

/**
 * Timers hold at most 2^31-1 ms (about 24.8 days): above it the HTML timer model, Node and Deno
 * fire after 1 ms and Bun the same, so an interval there spins (measured: 250 runs in 300 ms).
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A duration field with a documented range; the error names the bound and the value, and
 * `edgeprobe check` prefixes the field path.
 * @example interval: boundedDuration({ min: 10, max: 24 * 3_600_000 }).default(5000)
 */
export function boundedDuration(range: { readonly min?: number; readonly max: number }) {
  const min = range.min ?? 0;
  const max = Math.min(range.max, MAX_TIMER_MS);
  return duration.superRefine((ms, ctx) => {
    if (ms > max) ctx.addIssue({ code: "custom", message: `must be at most ${formatDuration(max)}, got ${formatDuration(ms)}`, input: ms });
    else if (ms < min) ctx.addIssue({ code: "custom", message: `must be at least ${formatDuration(min)}, got ${formatDuration(ms)}`, input: ms });
  });
}

/** Byte sizes: "64MiB", "512KiB", "1GiB", "1000" (bytes). */
export function parseByteSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|KB|MB|GB)?\s*$/.exec(text);
  if (!m) return undefined;
  const mult: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, KB: 1e3, MB: 1e6, GB: 1e9 };
  return Math.round(Number(m[1]) * mult[m[2] ?? "B"]);
}

export const byteSize = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const n = typeof v === "number" ? v : parseByteSize(v);
  if (n === undefined || !Number.isFinite(n) || n < 0) {
    ctx.addIssue({ code: "custom", message: `expected a size such as 64MiB, got ${JSON.stringify(v)}`, input: v });
    return z.NEVER;
  }
  return n;
});
