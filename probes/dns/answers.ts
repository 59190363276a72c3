/** @module DNS answers in presentation form (RFC 1035 §5.1 master-file style), for expect lists and facts. */
import type { NaptrRecord, SrvRecord } from "node:dns";

/** Names compare without the root dot: Deno keeps it in NAPTR replacements, Bun drops it. */
export function bareName(name: string): string {
  return name.endsWith(".") && name !== "." ? name.slice(0, -1) : name;
}

/** RFC 2782: "priority weight port target". */
export function formatSrv(r: SrvRecord): string {
  return `${r.priority} ${r.weight} ${r.port} ${bareName(r.name)}`;
}

/** RFC 3403 §4.1 fields in zone-file order: order preference "flags" "service" "regexp" replacement. */
export function formatNaptr(r: NaptrRecord): string {
  const q = (s: string) => `"${s.replace(/(["\\])/g, "\\$1")}"`;
  return `${r.order} ${r.preference} ${q(r.flags)} ${q(r.service)} ${q(r.regexp)} ${bareName(r.replacement) || "."}`;
}

/** Normalise an expected answer the way answers are formatted (case and trailing dots of names). */
export function normaliseExpected(type: string, text: string): string {
  const t = text.trim().replace(/\s+/g, " ");
  if (type === "A" || type === "AAAA") return t.toLowerCase();
  if (type === "SRV") return t.split(" ").map((p, i) => i === 3 ? bareName(p).toLowerCase() : p).join(" ");
  const last = t.lastIndexOf(" ");
  return last < 0 ? t : t.slice(0, last + 1) + (bareName(t.slice(last + 1)).toLowerCase() || ".");
}
