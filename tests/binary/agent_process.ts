/**
 * @module spawnAgent(): one `edgeprobe agent` process (the compiled binary, possibly under
 * qemu) on a temp config, with its logs kept for assertion messages and a bounded stop.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface AgentProcess {
  readonly child: ChildProcess;
  readonly dir: string;
  readonly spawnedAt: number;
  /** stdout + stderr so far (JSON log lines). */
  logs(): string;
  /** Resolves with the exit code (or the signal name) once the process is gone. */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | string>;
}

export interface SpawnOptions {
  /** The program and its leading arguments, e.g. ["qemu-aarch64-static", "-L", sysroot, bin]. */
  readonly command: readonly string[];
  /** YAML config text; the token @DIR@ is replaced by the temp directory. */
  readonly config: string;
  /** Extra files to write into the temp directory before start. */
  readonly files?: Readonly<Record<string, string>>;
}

export function spawnAgent(options: SpawnOptions): AgentProcess {
  const dir = mkdtempSync(join(tmpdir(), "edgeprobe-bin-"));
  for (const [name, text] of Object.entries(options.files ?? {})) writeFileSync(join(dir, name), text);
  const configPath = join(dir, "agent.yaml");
  writeFileSync(configPath, options.config.replaceAll("@DIR@", dir));
  const [program, ...args] = options.command;
  const spawnedAt = performance.now();
  const child = spawn(program, [...args, "agent", "--config", configPath], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | string>((resolve) => {
    child.on("exit", (code, sig) => resolve(code ?? sig ?? "unknown"));
    child.on("error", (e) => resolve(`spawn error: ${e.message}`));
  });
  exited.then(() => rmSync(dir, { recursive: true, force: true }));
  return {
    child,
    dir,
    spawnedAt,
    logs: () => out,
    exited,
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Poll `fn` every `everyMs` until it returns a value other than undefined, or fail after `withinMs`. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, withinMs: number, everyMs = 25): Promise<T> {
  const deadline = performance.now() + withinMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (performance.now() > deadline) throw new Error(`Cannot see ${what}: still not there after ${withinMs}ms`, { cause: last });
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Status of GET /healthz over plain HTTP/1.1, or undefined when nothing listens yet. */
export async function healthzStatus(port: number, signal?: AbortSignal): Promise<number | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: signal ?? AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return undefined;
  }
}
