/** @module A small `--flag value` parser that keeps unknown flags for per-kind options. */

export interface ParsedArgs {
  readonly positionals: string[];
  /** Flags in camelCase: `--origin-host x` → originHost: "x"; a bare flag → true. */
  readonly flags: Record<string, string | true | string[]>;
}

/** Flags that never take a value. */
const BOOLEAN_FLAGS = new Set(["json", "help", "h", "verbose"]);

export function camelCase(flag: string): string {
  return flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function parseArgs(argv: readonly string[], booleanFlags: ReadonlySet<string> = BOOLEAN_FLAGS): ParsedArgs {
  const positionals: string[] = [];
  const flags: Record<string, string | true | string[]> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith("--") || (a.startsWith("-") && a.length === 2 && !/^-\d/.test(a))) {
      let name = a.replace(/^--?/, "");
      let value: string | true;
      const eq = name.indexOf("=");
      if (eq >= 0) {
        value = name.slice(eq + 1);
        name = name.slice(0, eq);
      } else if (booleanFlags.has(name) || i + 1 >= argv.length || argv[i + 1].startsWith("--")) {
        value = true;
      } else {
        value = argv[++i];
      }
      const key = camelCase(name);
      const prev = flags[key];
      if (prev === undefined) flags[key] = value;
      else if (Array.isArray(prev)) prev.push(String(value));
      else flags[key] = [String(prev), String(value)];
    } else {
      positionals.push(a);
    }
  }
  return { positionals, flags };
}

/** Turn a command-line string into the JSON-ish value a zod schema expects. */
export function coerceFlagValue(v: string | true | string[]): unknown {
  if (v === true) return true;
  if (Array.isArray(v)) return v.map((x) => coerceFlagValue(x));
  if (v === "true") return true;
  if (v === "false") return false;
  if (/^-?\d+(\.\d+)?$/.test(v) && !/^0\d/.test(v)) return Number(v);
  if (/^[[{]/.test(v)) {
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  }
  return v;
}
