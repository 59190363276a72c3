/** @module DNS probe: A, AAAA, SRV and NAPTR lookups through node:dns (RFC 1035, 2782, 3403). */
export { dnsProbe } from "./dns_probe.ts";
export { bareName, formatNaptr, formatSrv, normaliseExpected } from "./answers.ts";
export { dnsOptions } from "./options.ts";
export type { DnsProbeOptions } from "./options.ts";
