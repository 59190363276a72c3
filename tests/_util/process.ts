/** @module Start a child process for integration tests and stop it by PID. */
import { spawn, type ChildProcess } from "node:child_process";

export interface Child {
  readonly proc: ChildProcess;
  readonly pid: number;
  output(): string;
  /** Resolves with the exit code (or the signal name). */
  readonly exited: Promise<number | string>;
  waitFor(re: RegExp, ms: number): Promise<string>;
  stop(signal?: NodeJS.Signals, ms?: number): Promise<number | string>;
}

export function startChild(cmd: string, args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): Child {
  const proc = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const l of listeners) l();
  };
  proc.stdout!.on("data", onData);
  proc.stderr!.on("data", onData);
  const exited = new Promise<number | string>((resolve) => proc.on("exit", (code, sig) => resolve(code ?? sig ?? -1)));
  return {
    proc,
    pid: proc.pid!,
    output: () => out,
    exited,
    waitFor(re, ms) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = re.exec(out);
          if (m) {
            listeners.delete(check);
            clearTimeout(t);
            resolve(m[0]);
          }
        };
        const t = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`Cannot see ${re} within ${ms}ms; output so far:\n${out.slice(-3000)}`));
        }, ms);
        listeners.add(check);
        check();
      });
    },
    async stop(signal = "SIGTERM", ms = 5000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return exited;
      proc.kill(signal);
      const t = setTimeout(() => proc.kill("SIGKILL"), ms);
      const r = await exited;
      clearTimeout(t);
      return r;
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `fn` until it returns a truthy value or `ms` pass. */
export async function eventually<T>(fn: () => Promise<T | undefined | false>, ms: number, stepMs = 50): Promise<T> {
  const end = performance.now() + ms;
  let last: unknown;
  while (performance.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(stepMs);
  }
  throw new Error(`Cannot reach the expected state within ${ms}ms${last ? `: ${last}` : ""}`);
}
