/**
 * @module The `dns` probe kind over node:dns `Resolver` (c-ares on Bun, hickory on Deno), so it
 * asks exactly the server it is told, without the system cache.
 */
import dns from "node:dns";
import { ProbeFailureError } from "../errors.ts";
import type { ProbeKind } from "../types.ts";
import { bareName, formatNaptr, formatSrv, normaliseExpected } from "./answers.ts";
import { dnsOptions, type DnsProbeOptions } from "./options.ts";

/** node:dns error codes that are the server's own well-formed answer (RFC 1035 §4.1.1 RCODE). */
const NEGATIVE: Record<string, string> = {
  ENOTFOUND: "NXDOMAIN",
  ENODATA: "NODATA",
  ESERVFAIL: "SERVFAIL",
  EREFUSED: "REFUSED",
  ENOTIMP: "NOTIMP",
};

async function lookup(r: dns.promises.Resolver, type: DnsProbeOptions["type"], name: string): Promise<{ answers: string[]; ttl?: number }> {
  switch (type) {
    case "A": {
      const rs = await r.resolve4(name, { ttl: true });
      return { answers: rs.map((x) => x.address), ttl: Math.min(...rs.map((x) => x.ttl)) };
    }
    case "AAAA": {
      const rs = await r.resolve6(name, { ttl: true });
      // Deno returns plain strings for resolve6 even with {ttl: true}.
      const list = rs as unknown as Array<string | { address: string; ttl: number }>;
      const ttls = list.flatMap((x) => typeof x === "string" ? [] : [x.ttl]);
      return { answers: list.map((x) => (typeof x === "string" ? x : x.address).toLowerCase()), ttl: ttls.length ? Math.min(...ttls) : undefined };
    }
    case "SRV":
      return { answers: (await r.resolveSrv(name)).map(formatSrv) };
    case "NAPTR":
      return { answers: (await r.resolveNaptr(name)).map(formatNaptr) };
  }
}

export const dnsProbe: ProbeKind<DnsProbeOptions> = {
  kind: "dns",
  summary: "DNS query (A, AAAA, SRV, NAPTR) for NAME, optionally to one server; expected answers",
  example: "edgeprobe probe dns _sip._udp.ims.example --type SRV --server 10.0.0.53",
  options: dnsOptions,
  create(spec, _env) {
    const o = spec.options;
    const name = bareName(spec.target.trim());
    if (!name) throw new TypeError("Cannot probe DNS: the target (the name to resolve) is empty");
    const expected = o.expect.map((e) => normaliseExpected(o.type, e));
    // setServers() takes "host", "host:port" and "[v6]:port" as written.
    const server = o.server?.trim() || undefined;
    return {
      async run(signal) {
        if (signal.aborted) throw signal.reason;
        // A fresh Resolver per run: its timeout follows the run budget and cancel() ends only this query.
        const r = new dns.promises.Resolver({ timeout: Math.max(100, Math.floor(spec.timeoutMs / o.tries)), tries: o.tries });
        if (server) {
          try {
            r.setServers([server]);
          } catch (e) {
            throw new ProbeFailureError("local", `Cannot use DNS server ${server}: ${(e as Error).message}`, { cause: e });
          }
        }
        const onAbort = () => r.cancel();
        signal.addEventListener("abort", onAbort, { once: true });
        const t0 = performance.now();
        let res: { answers: string[]; ttl?: number };
        try {
          res = await lookup(r, o.type, name);
        } catch (e) {
          if (signal.aborted) throw signal.reason;
          const code = (e as { code?: string }).code ?? "";
          const rcode = NEGATIVE[code];
          if (rcode) {
            return {
              ok: false,
              latencyMs: performance.now() - t0,
              facts: { rcode },
              failure: { kind: "rejected", message: `Cannot resolve ${o.type} ${name}${server ? ` at ${server}` : ""}: ${rcode}`, reason: rcode },
            };
          }
          if (code === "ETIMEOUT") throw new ProbeFailureError("timeout", `Cannot resolve ${o.type} ${name}: no answer from ${server ?? "the system resolvers"}`, { cause: e });
          if (code === "ECONNREFUSED") throw new ProbeFailureError("refused", `Cannot resolve ${o.type} ${name}: ${server ?? "the resolver"} refused the connection`, { cause: e });
          if (code === "EBADRESP" || code === "EFORMERR") throw new ProbeFailureError("malformed", `Cannot resolve ${o.type} ${name}: malformed answer (${code})`, { cause: e });
          throw e;
        } finally {
          signal.removeEventListener("abort", onAbort);
        }
        const latencyMs = performance.now() - t0;
        const facts: Record<string, string | number> = {
          answers: res.answers.length,
          answer: res.answers.slice(0, 4).join(" | "),
          ...(res.ttl !== undefined && Number.isFinite(res.ttl) ? { ttl: res.ttl } : {}),
        };
        const got = new Set(res.answers.map((a) => normaliseExpected(o.type, a)));
        const missing = expected.filter((e) => !got.has(e));
        if (res.answers.length === 0 || missing.length) {
          return {
            ok: false,
            latencyMs,
            facts,
            failure: {
              kind: "rejected",
              message: `Cannot find ${missing.length ? missing.map((m) => JSON.stringify(m)).join(", ") : "any record"} in the ${o.type} answer for ${name} (got ${res.answers.length ? res.answers.map((a) => JSON.stringify(a)).join(", ") : "nothing"})`,
              reason: "UNEXPECTED_ANSWER",
            },
          };
        }
        return { ok: true, latencyMs, facts };
      },
      close: () => Promise.resolve(),
    };
  },
};
