/** Start and stop the real Debian peers of the sbi/etcd area (etcd, nghttpd, dnsmasq) by PID. */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Peer {
  readonly name: string;
  readonly pid: number;
  /** Output so far (stdout + stderr), for failure messages. */
  output(): string;
  /** SIGTERM (or the given signal), then SIGKILL after 3 s; resolves when the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  readonly exited: Promise<number | null>;
}

export function startPeer(name: string, cmd: string, args: readonly string[], cwd?: string): Peer {
  const child: ChildProcess = spawn(cmd, [...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 20000) out = out.slice(-20000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  if (!child.pid) throw new Error(`Cannot start ${name}: ${cmd} did not spawn`);
  const pid = child.pid;
  return {
    name,
    pid,
    output: () => out,
    exited,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(pid, signal);
      const t = setTimeout(() => {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }, 3000);
      await exited;
      clearTimeout(t);
    },
  };
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Poll `fn` until it returns a value other than undefined, or fail after `ms`. */
export async function waitFor<T>(what: string, ms: number, fn: () => Promise<T | undefined>, everyMs = 100): Promise<T> {
  const end = performance.now() + ms;
  let last: unknown;
  while (performance.now() < end) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`Cannot see ${what} within ${ms} ms${last ? `: ${(last as Error).message}` : ""}`);
}
