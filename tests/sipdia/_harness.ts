/**
 * @module Helpers for the sipdia integration tests: start real Debian peers and tshark on
 * loopback, wait for them, and stop each one by PID.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import net from "node:net";

export interface Daemon {
  readonly pid: number;
  output(): string;
  /** SIGTERM by PID, SIGKILL after `graceMs`; resolves once the process exited. */
  stop(graceMs?: number): Promise<void>;
}

export function start(cmd: string, args: readonly string[], opts: { cwd?: string } = {}): Daemon {
  const child: ChildProcess = spawn(cmd, args, { cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout?.on("data", (d) => (out += d));
  child.stderr?.on("data", (d) => (out += d));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  if (child.pid === undefined) throw new Error(`Cannot start ${cmd}: no PID (is it installed?)`);
  const pid = child.pid;
  return {
    pid,
    output: () => out,
    async stop(graceMs = 3000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(pid, "SIGTERM");
      const t = setTimeout(() => {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }, graceMs);
      await exited;
      clearTimeout(t);
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until `check()` is true, polling; throws with `what` after `ms`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`Cannot start test peer: ${what} not ready within ${ms}ms`);
}

export function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** tshark capturing on lo with a capture filter; `check()` lists malformed packets and warnings. */
export async function startCapture(dir: string, filter: string, decodeAs: readonly string[] = []) {
  const file = join(dir, "cap.pcapng");
  const d = start("tshark", ["-i", "lo", "-f", filter, "-w", file]);
  await waitFor("tshark", () => /Capturing on/.test(d.output()), 15_000);
  // dumpcap announces the interface a moment before its filter is attached.
  await sleep(500);
  return {
    file,
    async stop() {
      await sleep(1000); // dumpcap writes in batches: let the last packets reach the file
      await d.stop();
    },
    /** Lines tshark prints for `_ws.malformed || _ws.expert.severity >= warning` (must be none). */
    problems(): string {
      const args = ["-r", file, ...decodeAs.flatMap((x) => ["-d", x]), "-Y", "_ws.malformed || _ws.expert.severity >= warning"];
      return spawnSync("tshark", args, { encoding: "utf8" }).stdout.trim();
    },
    /** One line per packet matching `displayFilter`, with the given fields. */
    fields(displayFilter: string, fields: readonly string[]): string[] {
      const args = ["-r", file, ...decodeAs.flatMap((x) => ["-d", x]), "-Y", displayFilter, "-T", "fields", ...fields.flatMap((f) => ["-e", f])];
      return spawnSync("tshark", args, { encoding: "utf8" }).stdout.trim().split("\n").filter(Boolean);
    },
  };
}
