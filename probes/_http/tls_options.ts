/** @module TLS client options shared by the HTTP-based kinds: files named in config, read once. */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { ProbeFailureError } from "../errors.ts";

/** `tls:` in the options of http, sbi and etcd probes. Paths are read when the probe is created. */
export const tlsOptions = z.strictObject({
  ca: z.string().optional().describe("PEM CA bundle to verify the peer with (instead of the system store)."),
  cert: z.string().optional().describe("PEM client certificate (mutual TLS). Needs `key`."),
  key: z.string().optional().describe("PEM private key of `cert`."),
  verify: z.boolean().default(true).describe("Verify the peer certificate and name."),
  servername: z.string().optional().describe("SNI and verification name when the target is an IP address."),
}).refine((t) => !t.cert === !t.key, { message: "cert and key go together" });
export type TlsOptions = z.infer<typeof tlsOptions>;

/** What node:https / node:http2 take; TLS 1.2 is the floor (TS 33.210 §6.2, design.md). */
export interface LoadedTls {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly rejectUnauthorized: boolean;
  readonly servername?: string;
  readonly minVersion: "TLSv1.2";
}

/**
 * Read the PEM files named in `tls`.
 * @throws Error "Cannot read TLS file ..." when a file is missing (a config error, reported at create).
 */
export function loadTls(tls: TlsOptions | undefined): LoadedTls {
  const read = (what: string, path?: string) => {
    if (!path) return undefined;
    try {
      return readFileSync(path, "utf8");
    } catch (e) {
      throw new Error(`Cannot read TLS ${what} file ${path}: ${(e as Error).message}`, { cause: e });
    }
  };
  return {
    ca: read("ca", tls?.ca),
    cert: read("cert", tls?.cert),
    key: read("key", tls?.key),
    rejectUnauthorized: tls?.verify ?? true,
    servername: tls?.servername,
    minVersion: "TLSv1.2",
  };
}

/** Certificate problems are the peer's answer about itself, not our socket: `rejected`. */
export function wrapTlsError(e: unknown, origin: string): unknown {
  const code = (e as { code?: string })?.code ?? "";
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code)) {
    return new ProbeFailureError("rejected", `Cannot verify the TLS certificate of ${origin}: ${(e as Error).message}`, { cause: e, reason: code });
  }
  return e;
}
