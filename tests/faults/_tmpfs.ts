/**
 * @module A small tmpfs for fault tests: a disk that really fills (ENOSPC) and can be remounted
 * read-only (EROFS). Needs root (CAP_SYS_ADMIN); `available()` says why not otherwise. Root
 * bypasses file modes, so "unwritable" is a read-only mount here, not chmod.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Tmpfs {
  readonly dir: string;
  readOnly(): void;
  readWrite(): void;
  unmount(): void;
}

/** Undefined when a tmpfs can be mounted here; else the reason (for `skip`). */
export function tmpfsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "needs root to mount a tmpfs";
  try {
    const t = mountTmpfs(4096);
    t.unmount();
    return undefined;
  } catch (e) {
    return `cannot mount a tmpfs: ${(e as Error).message}`;
  }
}

export function mountTmpfs(sizeBytes: number): Tmpfs {
  const dir = fs.mkdtempSync(join(tmpdir(), "ep-tmpfs-"));
  const mount = (...args: string[]) => execFileSync("mount", args, { stdio: "pipe" });
  mount("-t", "tmpfs", "-o", `size=${sizeBytes},mode=0755`, "tmpfs", dir);
  let mounted = true;
  return {
    dir,
    readOnly: () => void mount("-o", "remount,ro", dir),
    readWrite: () => void mount("-o", "remount,rw", dir),
    unmount() {
      if (!mounted) return;
      execFileSync("umount", ["-l", dir], { stdio: "pipe" });
      mounted = false;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
