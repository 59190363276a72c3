/**
 * @module Start/stop helpers for the real Debian peers and tshark used by tests/udp (run under Bun).
 * Every process is started here and stopped by its PID.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import dgram from "node:dgram";

const run = promisify(execFile);

export interface Proc {
  readonly pid: number;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM (or `signal`), then SIGKILL after 3 s; resolves once it has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  readonly exited: Promise<number | null>;
}

/** Spawn `cmd` and resolve once `ready` matches its output (or reject after `timeoutMs`). */
export async function startProcess(cmd: string, args: string[], ready: RegExp | undefined, timeoutMs = 15_000): Promise<Proc> {
  const child: ChildProcess = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.stdout!.on("data", (b) => (out += b));
  child.stderr!.on("data", (b) => (out += b));
  await new Promise<void>((resolve, reject) => {
    child.once("error", (e) => reject(new Error(`Cannot start ${cmd}: ${e.message}`, { cause: e })));
    if (!ready) return child.once("spawn", () => resolve());
    const t = setTimeout(() => reject(new Error(`Cannot start ${cmd}: no ${ready} in its output within ${timeoutMs}ms; output: ${out}`)), timeoutMs);
    const check = () => {
      if (ready.test(out)) {
        clearTimeout(t);
        resolve();
      }
    };
    child.stdout!.on("data", check);
    child.stderr!.on("data", check);
    exited.then((code) => {
      clearTimeout(t);
      reject(new Error(`Cannot start ${cmd}: it exited with ${code}; output: ${out}`));
    });
  });
  const pid = child.pid!;
  return {
    pid,
    output: () => out,
    exited,
    async stop(signal = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(pid, signal);
      } catch {
        return;
      }
      const t = setTimeout(() => {
        try {
          process.kill(pid, "SIGKILL");
        } catch { /* gone */ }
      }, 3000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** tshark writing a pcapng of loopback traffic matching `filter` (a BPF capture filter). */
export async function startCapture(filter: string, file: string): Promise<Proc> {
  const p = await startProcess("tshark", ["-i", "lo", "-f", filter, "-w", file], /Capturing on/);
  // "Capturing on" is printed as the capture opens; give the filter a moment to be in place.
  await new Promise((r) => setTimeout(r, 500));
  return p;
}

/**
 * Stop a capture without losing its tail: dumpcap writes captured packets out in batches, and a
 * capture stopped within ~100 ms of the last packet was seen to lose it (measured here).
 */
export async function stopCapture(cap: Proc): Promise<void> {
  await new Promise((r) => setTimeout(r, 1000));
  await cap.stop("SIGINT");
}

/** Run tshark on a capture file and return its stdout (stderr's root warning is ignored). */
export async function tshark(args: string[]): Promise<string> {
  const { stdout } = await run("tshark", args, { maxBuffer: 16 << 20 });
  return stdout;
}

/** Lines of `tshark -r file -Y '_ws.malformed || _ws.expert.severity >= warning'`: must be empty. */
export async function tsharkProblems(file: string, extra: string[] = []): Promise<string> {
  return (await tshark(["-r", file, ...extra, "-Y", "_ws.malformed || _ws.expert.severity >= warning"])).trim();
}

/** Per-packet fields, one array per packet. */
export async function tsharkFields(file: string, fields: string[], extra: string[] = []): Promise<string[][]> {
  const out = await tshark(["-r", file, ...extra, "-T", "fields", ...fields.flatMap((f) => ["-e", f])]);
  return out.split("\n").filter((l) => l.length > 0).map((l) => l.split("\t"));
}

/**
 * Resolve once `host:port` answers `request` (sent every 50 ms from an unconnected socket, so ICMP
 * errors do not end the wait). For peers that print nothing when they are ready.
 */
export function waitForUdpAnswer(host: string, port: number, request: Uint8Array, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket("udp4");
    const done = (e?: Error) => {
      clearInterval(tick);
      clearTimeout(limit);
      s.close();
      if (e) reject(e);
      else resolve();
    };
    s.on("message", () => done());
    s.on("error", () => {});
    const tick = setInterval(() => s.send(request, port, host), 50);
    const limit = setTimeout(() => done(new Error(`Cannot reach ${host}:${port}: no answer within ${timeoutMs}ms`)), timeoutMs);
    s.send(request, port, host);
  });
}
