/** @module `${VAR}` in config values, from the environment (design.md: agent config). */
import { formatPath } from "./zod_issues.ts";

/** Replace `${VAR}` in every string value; unset variables are problems naming the field. */
export function expandEnv(value: unknown, env: Readonly<Record<string, string | undefined>>, problems: string[], path: PropertyKey[] = []): unknown {
  if (typeof value === "string") {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const v = env[name];
      if (v === undefined) {
        problems.push(`${formatPath(path)}: environment variable ${name} is not set`);
        return "";
      }
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, env, problems, [...path, i]));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = expandEnv(v, env, problems, [...path, k]);
    return out;
  }
  return value;
}
