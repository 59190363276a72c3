/** @module Options of the `dns` probe kind. The target is the name to resolve. */
import { z } from "zod";

const list = z.union([z.string(), z.array(z.string())]).transform((v) => Array.isArray(v) ? v : [v]);

export const dnsOptions = z.strictObject({
  type: z.enum(["A", "AAAA", "SRV", "NAPTR"]).default("A").describe("Record type to ask for."),
  server: z.string().trim().min(1).optional().describe("DNS server as \"host\", \"host:port\" or \"[v6]:port\" (UDP, then TCP on truncation, by the runtime's resolver). Default: the system resolvers (/etc/resolv.conf)."),
  expect: list.default([]).describe("Answers that must all be present, in presentation form: A/AAAA \"10.0.0.1\"; SRV \"priority weight port target\"; NAPTR `order preference \"flags\" \"service\" \"regexp\" replacement`. Names without the trailing dot."),
  tries: z.number().int().min(1).max(5).default(1).describe("Attempts per run (the runtime resolver retransmits within the run's timeout)."),
});
export type DnsProbeOptions = z.infer<typeof dnsOptions>;
