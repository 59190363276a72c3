/** Child processes for the telemetry fault tests: start, wait for a line, stop by PID. */
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import { join } from "node:path";
import { openDatabase } from "../../runtime/sqlite.ts";
import { decodeBatch } from "../../telemetry/codec.ts";

export const ROOT = new URL("../../", import.meta.url).pathname;
export const BUN = join(ROOT, "node_modules/.bin/bun");
export const TOKEN = "fault-test-token-0123456789";

export interface Proc {
  readonly child: ChildProcess;
  readonly lines: string[];
  waitFor(pred: (line: string) => boolean, ms: number): Promise<string>;
  /** SIGKILL or SIGTERM, then wait for exit. */
  stop(signal: "SIGKILL" | "SIGTERM"): Promise<number | null>;
}

export function start(args: string[]): Proc {
  const child = spawn(BUN, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let buf = "";
  child.stdout!.on("data", (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split("\n");
    buf = parts.pop()!;
    lines.push(...parts);
    for (const w of waiters) w();
  });
  let err = "";
  child.stderr!.on("data", (d: Buffer) => {
    err += d.toString();
    if (err.length > 20000) err = err.slice(-10000);
  });
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return {
    child,
    lines,
    waitFor(pred, ms) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const l = lines.find(pred);
          if (l !== undefined) {
            clearTimeout(t);
            waiters.delete(check);
            resolve(l);
          }
        };
        const t = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`Cannot see the expected line from ${args.join(" ").slice(0, 80)} within ${ms} ms; last lines: ${lines.slice(-3).join(" | ")}; stderr: ${err.slice(-1500)}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
    async stop(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return await exited;
    },
  };
}

export function collectorConfig(dir: string, port: number): string {
  const path = join(dir, "collector.yaml");
  fs.writeFileSync(path, `listen: "127.0.0.1:${port}"\nauth: { sharedToken: "${TOKEN}" }\nstore: { path: "${join(dir, "collector.db")}" }\nlimits: { maxBodyBytes: 4MiB }\n`);
  return path;
}

export async function startCollector(dir: string, port: number): Promise<Proc> {
  const p = start(["cli/main.ts", "collector", "--config", collectorConfig(dir, port)]);
  await p.waitFor((l) => l.startsWith("collector listening"), 15_000);
  return p;
}

export interface StoredRecord {
  readonly agentId: string;
  readonly bootId: string;
  readonly seq: number;
  readonly i?: number;
}

/** Every record in the collector's raw table, in insertion order. */
export async function storedRecords(dbPath: string): Promise<StoredRecord[]> {
  const db = await openDatabase(dbPath);
  try {
    const out: StoredRecord[] = [];
    for (const row of db.prepare("SELECT body FROM batches ORDER BY rowid").all()) {
      const b = decodeBatch(row.body as Uint8Array);
      for (const r of b.records) {
        out.push({ agentId: b.agentId, bootId: b.bootId, seq: r.seq, ...(r.type === "probe" && r.facts ? { i: r.facts.i as number } : {}) });
      }
    }
    return out;
  } finally {
    db.close();
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
