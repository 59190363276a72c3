/** @module Options of the `http` probe kind (config `options:` and `edgeprobe probe http --flag`). */
import { z } from "zod";
import { expectStatus, tlsOptions } from "../_http/mod.ts";

export const httpOptions = z.strictObject({
  protocol: z.enum(["http1.1", "h2c", "h2"]).default("http1.1").describe("Wire protocol. \"http1.1\": HTTP/1.1 over http:// or https://; \"h2c\": HTTP/2 with prior knowledge over http:// (RFC 9113 §3.3); \"h2\": HTTP/2 over TLS with ALPN h2 (https://)."),
  method: z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]).default("GET").describe("HTTP method."),
  expectStatus: expectStatus.describe("Statuses that count as success: \"2xx\", \"200-204\", 301 (a list or \"a,b\"). Redirects are not followed."),
  bodyMatch: z.string().refine((s) => {
    try {
      new RegExp(s);
      return true;
    } catch {
      return false;
    }
  }, { message: "expected a valid regular expression" }).optional().describe("A regular expression (JavaScript syntax) the response body must match."),
  headers: z.record(z.string(), z.string()).default({}).describe("Request headers."),
  body: z.string().optional().describe("Request body (sent as is)."),
  maxBodyBytes: z.number().int().min(0).max(16 * 1024 * 1024).default(65536).describe("Body bytes read at most (the match runs on these)."),
  tls: tlsOptions.optional().describe("TLS for https:// targets: ca, cert, key, verify (default true), servername."),
});
export type HttpProbeOptions = z.infer<typeof httpOptions>;
