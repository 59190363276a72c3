/** @module Options of the `sbi` probe kind. The target is the NF's apiRoot: http://host:port (h2c) or https://host:port (h2). */
import { z } from "zod";
import { duration } from "../../common/duration.ts";
import { expectStatus, tlsOptions } from "../_http/mod.ts";

export const sbiOptions = z.strictObject({
  /**
   * "request": one request to `path`, judged by `expectStatus`. "nrf-heartbeat": the NFUpdate
   * heartbeat of TS 29.510 §5.2.2.3.2 (PATCH nfStatus REGISTERED) for `nfInstanceId`.
   * @default "request"
   */
  mode: z.enum(["request", "nrf-heartbeat"]).default("request"),
  /** Request mode only. @default "GET" */
  method: z.enum(["GET", "PUT", "PATCH", "POST", "DELETE"]).default("GET"),
  /**
   * Request mode: path and query below the apiRoot, e.g. "/nnrf-nfm/v1/nf-instances?limit=1".
   * Without it the target is requested as given: `http://nrf:8080/nf-profile.json` asks for
   * `/nf-profile.json`, `nrf:8080` for `/`.
   */
  path: z.string().startsWith("/").optional(),
  /** Request mode: the body for PUT/PATCH/POST, a string or any JSON value (sent as JSON). */
  body: z.unknown().optional(),
  /** Content type of `body`. @default "application/json" */
  contentType: z.string().default("application/json"),
  /** Extra request headers. @default {} */
  headers: z.record(z.string(), z.string()).default({}),
  /** Statuses that count as success (request mode). @default ["2xx"] */
  expectStatus,
  /**
   * `3gpp-Sbi-Message-Priority` (0 highest … 31). The default 24 is the priority TS 29.500 §6.8
   * [mem] gives a request without the header, so the probe queues like ordinary traffic and sees
   * the same congestion. @default 24
   */
  priority: z.number().int().min(0).max(31).default(24),
  /** `3gpp-Sbi-Max-Rsp-Time` in ms (a duration). Default: the probe's timeout. */
  maxRspTime: duration.optional(),
  /** nrf-heartbeat mode: the NF instance ID (UUID) registered at the NRF. */
  nfInstanceId: z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, "expected a UUID").optional(),
  /** Body bytes read at most. @default 65536 */
  maxBodyBytes: z.number().int().min(0).max(16 * 1024 * 1024).default(65536),
  /** TLS for https:// apiRoots: ca, cert, key (client certificate), verify (default true), servername. */
  tls: tlsOptions.optional(),
}).refine((o) => o.mode !== "nrf-heartbeat" || o.nfInstanceId !== undefined, {
  message: "nrf-heartbeat mode needs nfInstanceId",
  path: ["nfInstanceId"],
});
export type SbiProbeOptions = z.infer<typeof sbiOptions>;
