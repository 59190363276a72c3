/**
 * @module The one reader of PEM files named in config (TLS CA bundles, certificates, keys), for
 * every TLS client and server of the agent, the collector and the probes.
 */
import { readFileSync, statSync } from "node:fs";

/** Larger than any certificate chain or CA bundle we expect (Debian's whole bundle is ~220 KB). */
export const MAX_PEM_BYTES = 1024 * 1024;

/**
 * Read a PEM file. A path that is not a readable file, an oversized file or one without a PEM
 * block ("-----BEGIN ...", RFC 7468 §2) fails here, at start-up, with the file named, rather than
 * as a handshake error later.
 * @param what what the file is for, e.g. "TLS ca" → "Cannot read TLS ca file …"
 * @throws {Error} "Cannot read <what> file <path>: <reason>", the fs error as `cause`.
 * @example readPem("/etc/edgeprobe/ca.pem", "TLS ca")
 */
export function readPem(path: string, what = "TLS"): string {
  let text: string;
  try {
    // Size first, so a wrong path to a huge file costs a stat, not a read.
    const size = statSync(path).size;
    if (size > MAX_PEM_BYTES) throw new RangeError(`${size} bytes, more than a PEM file holds (${MAX_PEM_BYTES})`);
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`Cannot read ${what} file ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (!/^-----BEGIN [A-Z0-9 ]+-----$/m.test(text)) throw new Error(`Cannot read ${what} file ${path}: no PEM block ("-----BEGIN ...-----") in it`);
  return text;
}
