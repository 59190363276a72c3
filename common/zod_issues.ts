/** @module Turn zod issues into "path: what was wrong, got value" sentences. */
import type { z } from "zod";

/** `["probes", 2, "interval"]` → `probes[2].interval` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || "(root)";
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const p of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[p as string];
  }
  return v;
}

const SECRET_KEY = /token|password|secret|key$/i;

function show(v: unknown, path: readonly PropertyKey[]): string {
  const last = path[path.length - 1];
  if (typeof last === "string" && SECRET_KEY.test(last)) return "(redacted)";
  if (v === undefined) return "nothing";
  const s = JSON.stringify(v);
  return s.length > 60 ? s.slice(0, 57) + "..." : s;
}

/** One sentence per problem, each naming the field path and the offending value. */
export function formatIssues(error: z.ZodError, input: unknown, prefix: readonly PropertyKey[] = []): string[] {
  const out: string[] = [];
  for (const issue of error.issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        out.push(`${formatPath([...path, key])}: unknown key (check the spelling; allowed keys are listed in docs/config.md)`);
      }
      continue;
    }
    const got = valueAt(input, issue.path);
    let msg = issue.message;
    // zod's own messages already say what was received for type errors; keep ours uniform.
    msg = msg.replace(/^Invalid input: /, "");
    if (/got /.test(msg)) out.push(`${formatPath(path)}: ${msg}`);
    else out.push(`${formatPath(path)}: ${msg}, got ${show(got, path)}`);
  }
  return out;
}
