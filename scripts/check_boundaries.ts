/**
 * Boundaries that prose cannot hold (style.md habit 14), the rules of docs/architecture.md:
 *
 * - layers: each top-level folder imports only the folders its row of {@link LAYERS} names, so
 *   dependencies run one way (probes/, telemetry/, common/ know nothing of agent/ or collector/);
 * - privacy: a `_`-folder is imported only from inside its parent folder;
 * - doors: every source folder has a `mod.ts`, and an import that leaves its own folder (other
 *   than up into an enclosing folder) names that `mod.ts` or a file the `mod.ts` re-exports;
 * - platform: `Bun.`/`Deno.` only in runtime/, cbor-x only in telemetry/codec.ts, the
 *   OpenTelemetry API only in agent/tracing.ts among agent files and the SDK only in
 *   common/otel_export.ts;
 * - one piece per meaning: an abort listener is added only by common/abortable.ts
 *   (`addAbortListener`), so every one has its disposer.
 *
 * tests/, bench/ and scripts/ are white-box tools and outside these rules; unit tests beside the
 * code follow the layers and privacy (with the one exception noted in {@link TEST_EXTRA}).
 * Prints one line per violation; exit 1 if any.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const projectRoot = resolve(new URL("../", import.meta.url).pathname);
const skip = new Set(["node_modules", "dist", ".cache", ".git", ".test-out", "bench", "testdata"]);
/** White-box folders: they may reach into anything and need no door. */
const TOOLS = ["tests", "bench", "scripts"];

/**
 * Who may import whom, by top-level folder (`.` is the root `mod.ts`). The table in
 * docs/architecture.md is this table; `boundaries_test.ts` checks that they agree.
 */
export const LAYERS: Readonly<Record<string, readonly string[]>> = {
  runtime: ["common"],
  common: [],
  server: ["common"],
  telemetry: ["common"],
  probes: ["telemetry", "common", "runtime"],
  agent: ["probes", "telemetry", "common", "runtime", "server"],
  collector: ["telemetry", "common", "runtime", "server"],
  demo: ["agent", "collector", "probes", "telemetry", "common", "runtime", "server"],
  simulate: ["agent", "probes", "telemetry", "common", "runtime"],
  cli: ["agent", "collector", "demo", "simulate", "probes", "telemetry", "common", "runtime", "server"],
  ".": ["probes", "telemetry", "common", "runtime"],
};

/** Unit tests of one program may start the other as a real peer (the uplink against a collector). */
const TEST_EXTRA: Readonly<Record<string, readonly string[]>> = {
  agent: ["collector"],
  collector: ["agent"],
};

/** Imports the rules allow for now, each with the reason and when it goes. Keep this short. */
const ALLOWED: ReadonlySet<string> = new Set([]);

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (skip.has(name) || name.startsWith(".")) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (p.endsWith(".ts")) yield p;
  }
}

const stripComments = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");

/** Relative module specifiers of static imports, re-exports and dynamic `import("…")`. */
export function importSpecifiers(text: string): string[] {
  const out: string[] = [];
  const re = /\b(?:import|export)\s+(?:type\s+)?(?:[\w*\s{},$]*?\s+from\s+)?["'](\.{1,2}\/[^"']+)["']|\bimport\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g;
  for (const m of stripComments(text).matchAll(re)) out.push(m[1] ?? m[2]);
  return out;
}

const top = (rel: string) => (rel.includes("/") ? rel.slice(0, rel.indexOf("/")) : ".");
const isTool = (rel: string) => TOOLS.includes(top(rel));
const isTest = (rel: string) => /_test\.ts$|_test_kit\.ts$/.test(rel);

/** Files a folder's mod.ts re-exports (`export … from "./x.ts"`), relative to the root. */
function doors(root: string, dir: string, doorCache: Map<string, Set<string>>): Set<string> {
  let d = doorCache.get(dir);
  if (d) return d;
  d = new Set();
  const mod = join(root, dir, "mod.ts");
  if (existsSync(mod)) {
    d.add(relative(root, mod));
    const text = stripComments(readFileSync(mod, "utf8"));
    for (const m of text.matchAll(/\bexport\s+(?:type\s+)?[\w*\s{},$]*?\s*from\s+["'](\.{1,2}\/[^"']+)["']/g)) {
      d.add(relative(root, resolve(join(root, dir), m[1])));
    }
  }
  doorCache.set(dir, d);
  return d;
}

/** Is `a` the folder `b` or one enclosing it? */
const encloses = (a: string, b: string) => a === "." || a === b || b.startsWith(a + "/");

/** Every rule broken under `root` (the project by default), one line each, sorted. */
export function violations(root = projectRoot): string[] {
  const out: string[] = [];
  const doorCache = new Map<string, Set<string>>();
  const dirs = new Set<string>();
  for (const f of files(root)) {
    const rel = relative(root, f);
    if (isTool(rel)) continue;
    const from = dirname(rel);
    dirs.add(from);
    const raw = readFileSync(f, "utf8");
    const text = stripComments(raw);
    if (!rel.startsWith("runtime/") && /\b(Bun|Deno)\.[a-zA-Z]/.test(text)) out.push(`${rel}: uses Bun.* or Deno.* outside runtime/`);
    if (rel !== "telemetry/codec.ts" && /from\s+["']cbor-x/.test(text)) out.push(`${rel}: imports cbor-x outside telemetry/codec.ts`);
    if (!isTest(rel)) {
      if (rel.startsWith("agent/") && rel !== "agent/tracing.ts" && /from\s+["']@opentelemetry\//.test(text)) out.push(`${rel}: imports @opentelemetry/* outside agent/tracing.ts`);
      if (rel !== "common/otel_export.ts" && /from\s+["']@opentelemetry\/(?!api["'])/.test(text)) out.push(`${rel}: imports the OpenTelemetry SDK outside common/otel_export.ts`);
      // One piece per meaning (docs/architecture.md): a listener added by hand is one a settle path may forget to remove.
      if (rel !== "common/abortable.ts" && /\.addEventListener\(\s*["'`]abort["'`]/.test(text)) out.push(`${rel}: adds an abort listener by hand; use addAbortListener from common/abortable.ts`);
    }
    for (const spec of importSpecifiers(raw)) {
      const target = relative(root, resolve(dirname(f), spec));
      const to = dirname(target);
      const edge = `${rel} -> ${target}`;
      if (ALLOWED.has(edge) || isTool(target)) continue;
      // Layers.
      const a = top(rel), b = top(target);
      if (a !== b && b !== ".") {
        const allowed = [...(LAYERS[a] ?? []), ...(isTest(rel) ? TEST_EXTRA[a] ?? [] : [])];
        if (!allowed.includes(b)) out.push(`${edge}: ${a === "." ? "the root mod.ts" : a + "/"} may not import ${b}/ (docs/architecture.md, layers)`);
      }
      // Privacy: every `_`-folder on the target's path must enclose the importer's parent.
      const parts = to.split("/");
      for (let i = 0; i < parts.length; i++) {
        if (!parts[i].startsWith("_")) continue;
        const parent = parts.slice(0, i).join("/") || ".";
        if (!encloses(parent, from)) out.push(`${edge}: ${parts.slice(0, i + 1).join("/")}/ is private to ${parent}/`);
      }
      // Doors: leaving one's folder (not upwards) goes through the target folder's mod.ts.
      if (!isTest(rel) && !encloses(to, from) && !doors(root, to, doorCache).has(target)) {
        out.push(`${edge}: import ${to}/mod.ts or a file it re-exports (docs/architecture.md, doors)`);
      }
    }
  }
  for (const d of dirs) {
    if (d !== "." && !existsSync(join(root, d, "mod.ts"))) out.push(`${d}/: no mod.ts`);
  }
  return out.sort();
}

if (import.meta.main) {
  const v = violations();
  for (const line of v) console.log(line);
  process.exit(v.length ? 1 : 0);
}
