/** @module Options of the `diameter` probe kind (config `options:` and CLI `--kebab-case` flags). */
import { z } from "zod";
import { isIP } from "node:net";
import { duration } from "../../common/duration.ts";
import { DisconnectCause } from "./dictionary.ts";

const diameterIdentity = z.string().regex(/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/, "expected a DiameterIdentity (an FQDN such as probe.example.net)");
const u32 = z.number().int().min(0).max(0xffffffff);
const u32List = z.union([z.array(u32), u32]).transform((v) => (Array.isArray(v) ? v : [v]));

export const diameterOptions = z.strictObject({
  /** Our Origin-Host (RFC 6733 §6.3). @default "edgeprobe.localdomain" */
  originHost: diameterIdentity.default("edgeprobe.localdomain"),
  /** Our Origin-Realm (§6.4). @default "localdomain" */
  originRealm: diameterIdentity.default("localdomain"),
  /** Host-IP-Address in CER (§5.3.5). @default the connection's local address */
  hostIpAddress: z.string().refine((s) => isIP(s) !== 0, "expected an IPv4 or IPv6 address").optional(),
  /** `session`: CER, DWR, DPR and close each run. `persistent`: one connection, a DWR per run. @default "session" */
  mode: z.enum(["session", "persistent"]).default("session"),
  /** Connect over TLS first (RFC 6733 §2.1, port 5658 when the target names none). @default false */
  tls: z.boolean().default(false),
  /** TLS server name for SNI and verification. @default the target host when it is a name */
  servername: z.string().optional(),
  /** TLS: verify the peer certificate. @default true */
  verify: z.boolean().default(true),
  /** Vendor-Id in CER (§5.3.3). @default 0 */
  vendorId: u32.default(0),
  /** Product-Name in CER (§5.3.7). @default "edgeprobe" */
  productName: z.string().min(1).default("edgeprobe"),
  /** Auth-Application-Id values to advertise in CER (§6.8); none by default, as a watchdog needs no application. @default [] */
  authApplicationIds: u32List.default([]),
  /** Acct-Application-Id values to advertise in CER (§6.9). @default [] */
  acctApplicationIds: u32List.default([]),
  /** Our Origin-State-Id (§8.16). @default the probe's creation time in seconds */
  originStateId: u32.optional(),
  /** Disconnect-Cause sent in DPR (§5.4.3). @default "REBOOTING" */
  disconnectCause: z.enum(Object.keys(DisconnectCause) as [keyof typeof DisconnectCause, ...(keyof typeof DisconnectCause)[]]).default("REBOOTING"),
  /** persistent: first reconnect delay after a failure, doubled up to backoffMax. @default 1s */
  backoffMin: duration.default(1000),
  /** persistent: longest reconnect delay (Tc, RFC 6733 §2.1 suggests 30 s). @default 30s */
  backoffMax: duration.default(30_000),
});
export type DiameterProbeOptions = z.infer<typeof diameterOptions>;
