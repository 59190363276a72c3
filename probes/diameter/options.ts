/** @module Options of the `diameter` probe kind (config `options:` and CLI `--kebab-case` flags). */
import { z } from "zod";
import { isIP } from "node:net";
import { duration } from "../../common/duration.ts";
import { DisconnectCause } from "./dictionary.ts";

const diameterIdentity = z.string().regex(/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/, "expected a DiameterIdentity (an FQDN such as probe.example.net)");
const u32 = z.number().int().min(0).max(0xffffffff);
const u32List = z.union([z.array(u32), u32]).transform((v) => (Array.isArray(v) ? v : [v]));

export const diameterOptions = z.strictObject({
  originHost: diameterIdentity.default("edgeprobe.localdomain").describe("Our Origin-Host (RFC 6733 §6.3)."),
  originRealm: diameterIdentity.default("localdomain").describe("Our Origin-Realm (§6.4)."),
  hostIpAddress: z.string().refine((s) => isIP(s) !== 0, "expected an IPv4 or IPv6 address").optional().describe("Host-IP-Address in CER (§5.3.5). Default: the connection's local address."),
  mode: z.enum(["session", "persistent"]).default("session").describe("`session`: CER, DWR, DPR and close each run. `persistent`: one connection, a DWR per run."),
  tls: z.boolean().default(false).describe("Connect over TLS first (RFC 6733 §2.1, port 5658 when the target names none)."),
  servername: z.string().optional().describe("TLS server name for SNI and verification. Default: the target host when it is a name."),
  verify: z.boolean().default(true).describe("TLS: verify the peer certificate."),
  vendorId: u32.default(0).describe("Vendor-Id in CER (§5.3.3)."),
  productName: z.string().min(1).default("edgeprobe").describe("Product-Name in CER (§5.3.7)."),
  authApplicationIds: u32List.default([]).describe("Auth-Application-Id values to advertise in CER (§6.8); none by default, as a watchdog needs no application."),
  acctApplicationIds: u32List.default([]).describe("Acct-Application-Id values to advertise in CER (§6.9)."),
  originStateId: u32.optional().describe("Our Origin-State-Id (§8.16). Default: the probe's creation time in seconds."),
  disconnectCause: z.enum(Object.keys(DisconnectCause) as [keyof typeof DisconnectCause, ...(keyof typeof DisconnectCause)[]]).default("REBOOTING").describe("Disconnect-Cause sent in DPR (§5.4.3)."),
  backoffMin: duration.default(1000).describe("persistent: first reconnect delay after a failure, doubled up to backoffMax."),
  backoffMax: duration.default(30_000).describe("persistent: longest reconnect delay (Tc, RFC 6733 §2.1 suggests 30 s)."),
});
export type DiameterProbeOptions = z.infer<typeof diameterOptions>;
