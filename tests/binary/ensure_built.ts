/**
 * @module ensureBuilt(): the compiled binaries the binary tests run, built by scripts/build.sh
 * when dist/ lacks them or any source file is newer, so CI builds them from nothing.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export type BuildTarget = "linux-x64" | "linux-arm64" | "linux-x64-musl";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SOURCE_DIRS = ["cli", "agent", "server", "probes", "runtime", "common", "telemetry"];

export function binaryPath(target: BuildTarget): string {
  return join(ROOT, "dist", `edgeprobe-${target}`);
}

function newestSourceMs(): number {
  let newest = statSync(join(ROOT, "scripts/build.sh")).mtimeMs;
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts")) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  for (const d of SOURCE_DIRS) walk(join(ROOT, d));
  return newest;
}

const pending = new Map<BuildTarget, Promise<string>>();

/** Path of the binary for `target`, (re)built at most once per test process. */
export function ensureBuilt(target: BuildTarget, signal?: AbortSignal): Promise<string> {
  let p = pending.get(target);
  if (!p) {
    p = new Promise<string>((resolvePath, reject) => {
      const out = binaryPath(target);
      if (existsSync(out) && statSync(out).mtimeMs >= newestSourceMs()) return resolvePath(out);
      execFile("bash", [join(ROOT, "scripts/build.sh"), target], { cwd: ROOT, signal, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`Cannot build ${target}: ${stderr || stdout}`, { cause: err }));
        else resolvePath(out);
      });
    });
    pending.set(target, p);
  }
  return p;
}
