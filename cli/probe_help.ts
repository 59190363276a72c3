/**
 * @module `edgeprobe probe KIND --help`: a kind's options, read from its zod schema (each field's
 * `.describe()` text, type and default), so the help cannot drift from what the config accepts.
 */
import type { z } from "zod";
import { byteSize, duration, formatDuration } from "../common/duration.ts";
import type { ProbeKind } from "../probes/mod.ts";

/** One option as the help shows it. */
export interface OptionHelp {
  /** The config key (`options:` in the agent config). */
  readonly key: string;
  /** The command-line flag: the key in kebab-case. */
  readonly flag: string;
  /** What the value looks like: DURATION, N 0..10, udp|tcp|tls, TEXT, JSON ... */
  readonly value: string;
  /** The default as written on the command line; undefined when there is none (or it is prose in the text). */
  readonly default?: string;
  readonly text: string;
}

// zod 4 keeps a schema's structure in `_zod.def` (https://zod.dev/packages/core).
interface Def {
  readonly type: string;
  readonly innerType?: Schema;
  readonly in?: Schema;
  readonly options?: readonly Schema[];
  readonly entries?: Readonly<Record<string, string | number>>;
  readonly values?: readonly unknown[];
  readonly element?: Schema;
  readonly shape?: Readonly<Record<string, Schema>>;
  readonly defaultValue?: unknown;
}
type Schema = z.ZodType & { readonly _zod: { readonly def: Def }; readonly minValue?: number | null; readonly maxValue?: number | null };

export const kebabCase = (key: string) => key.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());

/** The field without its default/optional wrappers, and the default if it has one. */
function unwrap(s: Schema): { inner: Schema; default?: { value: unknown } } {
  let cur = s;
  let dflt: { value: unknown } | undefined;
  for (;;) {
    const d = cur._zod.def;
    if (cur === duration || cur === byteSize) return { inner: cur, default: dflt };
    if (d.type === "default" || d.type === "prefault") {
      dflt ??= { value: typeof d.defaultValue === "function" ? (d.defaultValue as () => unknown)() : d.defaultValue };
      cur = d.innerType!;
    } else if (d.type === "optional" || d.type === "nullable" || d.type === "readonly") cur = d.innerType!;
    else if (d.type === "pipe") cur = d.in!;
    else return { inner: cur, default: dflt };
  }
}

function valueShape(s: Schema): string {
  if (s === duration) return "DURATION";
  if (s === byteSize) return "SIZE";
  const d = s._zod.def;
  switch (d.type) {
    case "boolean":
      return "true|false";
    case "number": {
      const lo = s.minValue, hi = s.maxValue;
      const finite = (n: number | null | undefined) => typeof n === "number" && Number.isFinite(n) && Math.abs(n) < Number.MAX_SAFE_INTEGER;
      return finite(lo) && finite(hi) ? `N ${lo}..${hi}` : finite(lo) ? `N >= ${lo}` : "N";
    }
    case "string":
      return "TEXT";
    case "enum":
      return Object.values(d.entries ?? {}).join("|");
    case "literal":
      return (d.values ?? []).join("|");
    case "union": {
      const parts = (d.options ?? []).map((o) => unwrap(o).inner);
      if (parts.every((p) => ["literal", "enum"].includes(p._zod.def.type))) return parts.map(valueShape).join("|");
      const single = parts.find((p) => p._zod.def.type !== "array");
      // "a or a list of a": repeat the flag or give "x,y".
      if (single && parts.some((p) => p._zod.def.type === "array")) return `${valueShape(single)}[,...]`;
      return [...new Set(parts.map(valueShape))].join("|");
    }
    case "array":
      return `${valueShape(unwrap(d.element!).inner)}[,...]`;
    case "record":
      return "JSON";
    case "object":
      return `JSON {${Object.keys(d.shape ?? {}).join(",")}}`;
    default:
      return "JSON|TEXT";
  }
}

function showDefault(inner: Schema, v: unknown): string {
  if ((inner === duration) && typeof v === "number") return formatDuration(v);
  if (typeof v === "string") return v === "" ? '""' : v;
  if (Array.isArray(v)) return v.length === 0 ? "none" : v.join(",");
  return JSON.stringify(v);
}

/** The options of a kind, in schema order. */
export function optionHelp(kind: ProbeKind<unknown>): OptionHelp[] {
  const schema = unwrap(kind.options as Schema).inner;
  const shape = schema._zod.def.shape ?? {};
  return Object.entries(shape).map(([key, field]) => {
    const { inner, default: d } = unwrap(field);
    return {
      key,
      flag: `--${kebabCase(key)}`,
      value: valueShape(inner),
      ...(d ? { default: showDefault(inner, d.value) } : {}),
      text: field.description ?? "",
    };
  });
}

/** Greedy word wrap into lines of at most `width` characters (a longer word gets its own line). */
function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}

/** The whole `edgeprobe probe KIND --help` text. */
export function probeKindUsage(kind: ProbeKind<unknown>): string {
  const opts = optionHelp(kind);
  const col = Math.min(34, Math.max(...opts.map((o) => `  ${o.flag} ${o.value}`.length), 0) + 2);
  const lines = opts.map((o) => {
    const head = `  ${o.flag} ${o.value}`;
    const text = o.text + (o.default !== undefined ? ` Default: ${o.default}.` : "");
    const first = head.length + 1 > col ? `${head}\n${" ".repeat(col)}` : head.padEnd(col);
    return first + wrap(text, 100 - col).join("\n" + " ".repeat(col));
  });
  const port = kind.defaultPort ? ` (port ${kind.defaultPort} when the target names none)` : "";
  return `Usage: edgeprobe probe ${kind.kind} TARGET [--option value ...] [--json]

${wrap(`${kind.summary}${port}.`, 96).join("\n")}

Options: the keys of this kind's \`options:\` in the agent config (docs/config.md), written
here as --kebab-case flags. A list is "a,b" or the flag repeated; JSON is given as one argument.
${lines.join("\n") || "  (none)"}

General options (edgeprobe probe --help): --timeout DURATION (default 2s), --source-address
ADDR, --json, --verbose.
${kind.example ? `\nExample:\n  ${kind.example}\n` : ""}`;
}
