import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { importSpecifiers, LAYERS, violations } from "../../scripts/check_boundaries.ts";

const root = new URL("../../", import.meta.url).pathname;

/** A throw-away project tree: path → source. */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "edgeprobe-boundaries-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  made.push(dir);
  return dir;
}
const made: string[] = [];
after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

describe("project boundaries", () => {
  it("holds in this repository", () => {
    assert.deepEqual(violations(), []);
  });
  it("type-checks under deno check (the same TypeScript both runtimes strip), the root mod.ts included", () => {
    // A DENO_DIR of its own: a type-check cache shared with other checkouts of this tree once made
    // TypeScript abort with "Debug Failure. False expression" on unchanged sources, and passed
    // at once with an empty cache (seen on this machine, Deno 2.9.6).
    const denoDir = mkdtempSync(join(tmpdir(), "edgeprobe-deno-check-"));
    try {
      execFileSync(`${root}node_modules/.bin/deno`, ["check", "cli/main.ts", "mod.ts"], { cwd: root, stdio: "pipe", timeout: 120_000, env: { ...process.env, DENO_DIR: denoDir } });
    } finally {
      rmSync(denoDir, { recursive: true, force: true });
    }
  });
  it("documents the layer table it enforces (docs/architecture.md)", () => {
    const doc = readFileSync(`${root}docs/architecture.md`, "utf8");
    const rows: Record<string, string[]> = {};
    for (const line of doc.split("\n")) {
      const m = /^\| `([a-z]+\/|mod\.ts)` \| [^|]* \| ([^|]*) \|$/.exec(line);
      if (m) rows[m[1] === "mod.ts" ? "." : m[1].slice(0, -1)] = [...m[2].matchAll(/`([a-z]+)\/`/g)].map((x) => x[1]).sort();
    }
    const expected = Object.fromEntries(Object.entries(LAYERS).map(([k, v]) => [k, [...v].sort()]));
    assert.deepEqual(rows, expected);
  });
});

describe("check_boundaries.ts catches", () => {
  const base = {
    "telemetry/mod.ts": 'export * from "./wire.ts";\n',
    "telemetry/wire.ts": "export const A = 1;\n",
    "agent/mod.ts": 'export { B } from "./events.ts";\n',
    "agent/events.ts": "export const B = 2;\n",
    "agent/inner.ts": "export const C = 3;\n",
    "probes/mod.ts": 'export * from "./types.ts";\n',
    "probes/types.ts": 'import { A } from "../telemetry/wire.ts";\nexport const D = A;\n',
    "probes/_wire/mod.ts": 'export * from "./bytes.ts";\n',
    "probes/_wire/bytes.ts": "export const E = 5;\n",
    "probes/sip/mod.ts": 'import { E } from "../_wire/mod.ts";\nimport { D } from "../types.ts";\nexport const F = E + D;\n',
  };

  it("nothing in a tree that keeps the rules", () => {
    assert.deepEqual(violations(tree(base)), []);
  });
  it("an import against the direction of the layers", () => {
    const v = violations(tree({ ...base, "telemetry/from_event.ts": 'import type { B } from "../agent/events.ts";\nexport type X = B;\n' }));
    assert.deepEqual(v, ["telemetry/from_event.ts -> agent/events.ts: telemetry/ may not import agent/ (docs/architecture.md, layers)"]);
  });
  it("a unit test against the direction too", () => {
    const v = violations(tree({ ...base, "probes/sip/probe_test.ts": 'import { B } from "../../agent/mod.ts";\n' }));
    assert.deepEqual(v, ["probes/sip/probe_test.ts -> agent/mod.ts: probes/ may not import agent/ (docs/architecture.md, layers)"]);
  });
  it("a private folder reached from outside its parent", () => {
    const v = violations(tree({ ...base, "agent/config.ts": 'import { E } from "../probes/_wire/bytes.ts";\n' }));
    assert.ok(v.includes("agent/config.ts -> probes/_wire/bytes.ts: probes/_wire/ is private to probes/"), v.join("\n"));
  });
  it("a file that is not behind its folder's door, dynamic imports included", () => {
    const v = violations(tree({ ...base, "cli/mod.ts": 'export const G = async () => (await import("../agent/inner.ts")).C;\n' }));
    assert.deepEqual(v, ["cli/mod.ts -> agent/inner.ts: import agent/mod.ts or a file it re-exports (docs/architecture.md, doors)"]);
  });
  it("a folder without a mod.ts, and Bun.* outside runtime/", () => {
    const v = violations(tree({ ...base, "server/serve.ts": "export const H = Bun.version;\n" }));
    assert.deepEqual(v, ["server/: no mod.ts", "server/serve.ts: uses Bun.* or Deno.* outside runtime/"]);
  });
  it("an abort listener added by hand outside common/abortable.ts (tests may)", () => {
    const v = violations(tree({
      ...base,
      "probes/sip/probe.ts": 'export const wait = (s: AbortSignal) => s.addEventListener("abort", () => {}, { once: true });\n',
      "probes/sip/probe_test.ts": 'new AbortController().signal.addEventListener("abort", () => {});\n',
    }));
    assert.deepEqual(v, ["probes/sip/probe.ts: adds an abort listener by hand; use addAbortListener from common/abortable.ts"]);
  });
  it("reads imports, re-exports and import() but not commented-out ones", () => {
    assert.deepEqual(
      importSpecifiers('import a from "./a.ts";\nexport * from "../b.ts";\nimport type { C } from "./c.ts";\nconst d = await import("./d.ts");\n// import x from "./x.ts";\n/* import y from "./y.ts"; */\nconst u = "http://h/z";\n'),
      ["./a.ts", "../b.ts", "./c.ts", "./d.ts"],
    );
  });
});
