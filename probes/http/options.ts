/** @module Options of the `http` probe kind (config `options:` and `edgeprobe probe http --flag`). */
import { z } from "zod";
import { expectStatus, tlsOptions } from "../_http/mod.ts";

export const httpOptions = z.strictObject({
  /**
   * Wire protocol. "http1.1": HTTP/1.1 over http:// or https://; "h2c": HTTP/2 with prior
   * knowledge over http:// (RFC 9113 §3.3); "h2": HTTP/2 over TLS with ALPN h2 (https://).
   * @default "http1.1"
   */
  protocol: z.enum(["http1.1", "h2c", "h2"]).default("http1.1"),
  /** @default "GET" */
  method: z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]).default("GET"),
  /** Statuses that count as success: "2xx", "200-204", 301 (a list or "a,b"). Redirects are not followed. @default ["2xx"] */
  expectStatus,
  /** A regular expression (JavaScript syntax) the response body must match. */
  bodyMatch: z.string().refine((s) => {
    try {
      new RegExp(s);
      return true;
    } catch {
      return false;
    }
  }, { message: "expected a valid regular expression" }).optional(),
  /** Request headers. @default {} */
  headers: z.record(z.string(), z.string()).default({}),
  /** Request body (sent as is). */
  body: z.string().optional(),
  /** Body bytes read at most (the match runs on these). @default 65536 */
  maxBodyBytes: z.number().int().min(0).max(16 * 1024 * 1024).default(65536),
  /** TLS for https:// targets: ca, cert, key, verify (default true), servername. */
  tls: tlsOptions.optional(),
});
export type HttpProbeOptions = z.infer<typeof httpOptions>;
