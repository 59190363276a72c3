/** @module curl as an independent HTTP client (HTTP/1.1, h2c prior knowledge, h2 and HTTP/1.1 over TLS). */
import { execFile } from "node:child_process";

export type CurlMode = "http1.1" | "h2c" | "h2tls" | "h1tls";

export function curl(mode: CurlMode, hostPort: string, path: string, extra: string[] = []): Promise<{ status: number; version: string; body: string }> {
  const args = ["-s", "-m", "5", "-w", "\n%{http_code} %{http_version}"];
  if (mode === "http1.1") args.push("--http1.1", `http://${hostPort}${path}`);
  if (mode === "h2c") args.push("--http2-prior-knowledge", `http://${hostPort}${path}`);
  if (mode === "h2tls") args.push("-k", "--http2", `https://${hostPort}${path}`);
  if (mode === "h1tls") args.push("-k", "--http1.1", `https://${hostPort}${path}`);
  return new Promise((resolve, reject) => {
    execFile("curl", [...args, ...extra], (err, stdout) => {
      if (err && !stdout) return reject(err);
      const i = stdout.lastIndexOf("\n");
      const [code, version] = stdout.slice(i + 1).split(" ");
      resolve({ status: Number(code), version, body: stdout.slice(0, i) });
    });
  });
}
