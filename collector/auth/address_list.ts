/**
 * @module A list of IP addresses and CIDR blocks, matched with `node:net` BlockList (Bun and Deno
 * both implement it). IPv4-mapped IPv6 peers (`::ffff:10.0.0.1`, what a dual-stack socket
 * reports) are matched as IPv4.
 */
import { BlockList, isIP } from "node:net";

export type AddressMatcher = (address: string | undefined) => boolean;

export function addressMatcher(entries: readonly string[]): AddressMatcher {
  const list = new BlockList();
  for (const e of entries) {
    const [addr, bits] = e.split("/");
    const type = isIP(addr) === 6 ? "ipv6" : "ipv4";
    if (bits === undefined) list.addAddress(addr, type);
    else list.addSubnet(addr, Number(bits), type);
  }
  return (address) => {
    if (!address) return false;
    const a = address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
    const fam = isIP(a);
    if (fam === 0) return false;
    return list.check(a, fam === 6 ? "ipv6" : "ipv4");
  };
}
