/** @module Options of the `sip` probe kind (config `options:` and CLI `--kebab-case` flags). */
import { z } from "zod";
import { duration } from "../../common/duration.ts";
import { acceptCodesSchema } from "./accept_codes.ts";

export const sipOptions = z.strictObject({
  transport: z.enum(["udp", "tcp", "tls"]).default("udp").describe("`udp`, `tcp` or `tls` (RFC 3261 §18)."),
  user: z.string().regex(/^[A-Za-z0-9\-_.!~*'()&=+$,;?/%]+$/, "expected a SIP user part").optional().describe("User part of the Request-URI; none pings the server itself (§11). Default: none."),
  requestUri: z.string().regex(/^sips?:\S+$/, "expected a sip: or sips: URI").optional().describe("Full Request-URI, overriding the one built from target and `user`."),
  fromUri: z.string().regex(/^sips?:\S+$/, "expected a sip: or sips: URI").optional().describe("From URI. Default: \"sip:edgeprobe@<local address>\"."),
  acceptCodes: acceptCodesSchema.default([200]).describe("Final status codes that count as up: codes and classes (\"2xx\")."),
  maxForwards: z.number().int().min(0).max(255).default(70).describe("Max-Forwards (§8.1.1.6)."),
  userAgent: z.string().default("edgeprobe").describe("User-Agent header; \"\" leaves it out."),
  t1: duration.default(500).describe("Timer E start value on UDP (T1, §17.1.2.2): retransmit after T1, 2·T1, … capped at t2."),
  t2: duration.default(4000).describe("Timer E cap (T2)."),
  servername: z.string().optional().describe("TLS: server name for SNI and verification. Default: the target host when it is a name."),
  verify: z.boolean().default(true).describe("TLS: verify the server certificate."),
});
export type SipProbeOptions = z.infer<typeof sipOptions>;
