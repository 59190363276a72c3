/** @module Options of the `sbi` probe kind. The target is the NF's apiRoot: http://host:port (h2c) or https://host:port (h2). */
import { z } from "zod";
import { duration } from "../../common/duration.ts";
import { expectStatus, tlsOptions } from "../_http/mod.ts";

export const sbiOptions = z.strictObject({
  mode: z.enum(["request", "nrf-heartbeat"]).default("request").describe("\"request\": one request to `path`, judged by `expectStatus`. \"nrf-heartbeat\": the NFUpdate heartbeat of TS 29.510 §5.2.2.3.2 (PATCH nfStatus REGISTERED) for `nfInstanceId`."),
  method: z.enum(["GET", "PUT", "PATCH", "POST", "DELETE"]).default("GET").describe("Request mode only."),
  path: z.string().startsWith("/").optional().describe("Request mode: path and query below the apiRoot, e.g. \"/nnrf-nfm/v1/nf-instances?limit=1\". Without it the target is requested as given: `http://nrf:8080/nf-profile.json` asks for `/nf-profile.json`, `nrf:8080` for `/`."),
  body: z.unknown().optional().describe("Request mode: the body for PUT/PATCH/POST, a string or any JSON value (sent as JSON)."),
  contentType: z.string().default("application/json").describe("Content type of `body`."),
  headers: z.record(z.string(), z.string()).default({}).describe("Extra request headers."),
  expectStatus: expectStatus.describe("Statuses that count as success (request mode): \"2xx\", \"200-204\", 301 (a list or \"a,b\")."),
  priority: z.number().int().min(0).max(31).default(24).describe("`3gpp-Sbi-Message-Priority` (0 highest … 31). The default 24 is the priority TS 29.500 §6.8 [mem] gives a request without the header, so the probe queues like ordinary traffic and sees the same congestion."),
  maxRspTime: duration.optional().describe("`3gpp-Sbi-Max-Rsp-Time` in ms (a duration). Default: the probe's timeout."),
  nfInstanceId: z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, "expected a UUID").optional().describe("nrf-heartbeat mode: the NF instance ID (UUID) registered at the NRF."),
  maxBodyBytes: z.number().int().min(0).max(16 * 1024 * 1024).default(65536).describe("Body bytes read at most."),
  tls: tlsOptions.optional().describe("TLS for https:// apiRoots: ca, cert, key (client certificate), verify (default true), servername."),
}).refine((o) => o.mode !== "nrf-heartbeat" || o.nfInstanceId !== undefined, {
  message: "nrf-heartbeat mode needs nfInstanceId",
  path: ["nfInstanceId"],
});
export type SbiProbeOptions = z.infer<typeof sbiOptions>;
