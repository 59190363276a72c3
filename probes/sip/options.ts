/** @module Options of the `sip` probe kind (config `options:` and CLI `--kebab-case` flags). */
import { z } from "zod";
import { duration } from "../../common/duration.ts";
import { acceptCodesSchema } from "./accept_codes.ts";

export const sipOptions = z.strictObject({
  /** `udp`, `tcp` or `tls` (RFC 3261 §18). @default "udp" */
  transport: z.enum(["udp", "tcp", "tls"]).default("udp"),
  /** User part of the Request-URI; none pings the server itself (§11). @default none */
  user: z.string().regex(/^[A-Za-z0-9\-_.!~*'()&=+$,;?/%]+$/, "expected a SIP user part").optional(),
  /** Full Request-URI, overriding the one built from target and `user`. */
  requestUri: z.string().regex(/^sips?:\S+$/, "expected a sip: or sips: URI").optional(),
  /** From URI. @default "sip:edgeprobe@<local address>" */
  fromUri: z.string().regex(/^sips?:\S+$/, "expected a sip: or sips: URI").optional(),
  /** Final status codes that count as up: codes and classes ("2xx"). @default [200] */
  acceptCodes: acceptCodesSchema.default([200]),
  /** Max-Forwards (§8.1.1.6). @default 70 */
  maxForwards: z.number().int().min(0).max(255).default(70),
  /** User-Agent header; "" leaves it out. @default "edgeprobe" */
  userAgent: z.string().default("edgeprobe"),
  /** Timer E start value on UDP (T1, §17.1.2.2): retransmit after T1, 2·T1, … capped at t2. @default 500ms */
  t1: duration.default(500),
  /** Timer E cap (T2). @default 4s */
  t2: duration.default(4000),
  /** TLS: server name for SNI and verification. @default the target host when it is a name */
  servername: z.string().optional(),
  /** TLS: verify the server certificate. @default true */
  verify: z.boolean().default(true),
});
export type SipProbeOptions = z.infer<typeof sipOptions>;
