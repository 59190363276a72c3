/**
 * Boundaries that prose cannot hold (style.md habit 14): `Bun.`/`Deno.` only in runtime/,
 * cbor-x only in telemetry/codec.ts, every probe folder with a mod.ts, the OpenTelemetry API only
 * in agent/tracing.ts among agent files and the SDK only in common/otel_export.ts.
 * Prints one line per violation; exit 1 if any.
 */
import { readdirSync, readFileSync, statSync, existsSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("../", import.meta.url).pathname;
const skip = new Set(["node_modules", "dist", ".cache", ".git", ".test-out", "bench"]);

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (skip.has(name)) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (p.endsWith(".ts")) yield p;
  }
}

export function violations(): string[] {
  const out: string[] = [];
  for (const f of files(root)) {
    const rel = relative(root, f);
    if (rel.startsWith("tests/") || rel.startsWith("scripts/")) continue;
    const text = readFileSync(f, "utf8").replace(/\/\/.*$/gm, "").replace(/\/\*[\s\S]*?\*\//g, "");
    if (!rel.startsWith("runtime/") && /\b(Bun|Deno)\.[a-zA-Z]/.test(text)) out.push(`${rel}: uses Bun.* or Deno.* outside runtime/`);
    if (rel !== "telemetry/codec.ts" && /from\s+["']cbor-x["']/.test(text)) out.push(`${rel}: imports cbor-x outside telemetry/codec.ts`);
    if (!rel.endsWith("_test.ts")) {
      if (rel.startsWith("agent/") && rel !== "agent/tracing.ts" && /from\s+["']@opentelemetry\//.test(text)) out.push(`${rel}: imports @opentelemetry/* outside agent/tracing.ts`);
      if (rel !== "common/otel_export.ts" && /from\s+["']@opentelemetry\/(?!api["'])/.test(text)) out.push(`${rel}: imports the OpenTelemetry SDK outside common/otel_export.ts`);
    }
  }
  const probes = join(root, "probes");
  for (const name of readdirSync(probes)) {
    const p = join(probes, name);
    if (!statSync(p).isDirectory() || name.startsWith("_")) continue;
    if (!existsSync(join(p, "mod.ts"))) out.push(`probes/${name}: no mod.ts`);
  }
  return out;
}

if (import.meta.main) {
  const v = violations();
  for (const line of v) console.log(line);
  process.exit(v.length ? 1 : 0);
}
