/** @module Options of the `dns` probe kind. The target is the name to resolve. */
import { z } from "zod";

const list = z.union([z.string(), z.array(z.string())]).transform((v) => Array.isArray(v) ? v : [v]);

export const dnsOptions = z.strictObject({
  /** Record type to ask for. @default "A" */
  type: z.enum(["A", "AAAA", "SRV", "NAPTR"]).default("A"),
  /**
   * DNS server as "host", "host:port" or "[v6]:port" (UDP, then TCP on truncation, by the runtime's
   * resolver). Default: the system resolvers (/etc/resolv.conf).
   */
  server: z.string().trim().min(1).optional(),
  /**
   * Answers that must all be present, in presentation form: A/AAAA "10.0.0.1"; SRV
   * "priority weight port target"; NAPTR `order preference "flags" "service" "regexp" replacement`.
   * Names without the trailing dot. @default [] (any non-empty answer)
   */
  expect: list.default([]),
  /** Attempts per run (the runtime resolver retransmits within the run's timeout). @default 1 */
  tries: z.number().int().min(1).max(5).default(1),
});
export type DnsProbeOptions = z.infer<typeof dnsOptions>;
