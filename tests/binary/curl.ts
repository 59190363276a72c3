/** @module curl(): one request with the real curl, to see what a newcomer's curl sees. */
import { execFile } from "node:child_process";

export interface CurlResult {
  readonly status: number;
  /** curl's %{http_version}: "1.1" or "2". */
  readonly httpVersion: string;
  readonly body: string;
}

const MARK = "\n@@curl@@";

export function curl(args: readonly string[], url: string, timeoutMs = 10_000): Promise<CurlResult> {
  return new Promise((resolve, reject) => {
    execFile("curl", ["-sS", "--max-time", String(timeoutMs / 1000), "-w", `${MARK}%{http_code} %{http_version}`, ...args, url], { timeout: timeoutMs + 2000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`Cannot curl ${url}: ${stderr || err.message}`, { cause: err }));
      const i = stdout.lastIndexOf(MARK);
      const [code, version] = stdout.slice(i + MARK.length).trim().split(" ");
      resolve({ status: Number(code), httpVersion: version, body: stdout.slice(0, i) });
    });
  });
}
