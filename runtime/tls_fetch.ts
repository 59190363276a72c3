/**
 * @module A `fetch` that trusts a private CA and presents a client certificate (mTLS).
 *
 * Bun takes `tls: {ca, cert, key}` in fetch's init (https://bun.sh/docs/api/fetch#tls); Deno
 * takes a `client` from `Deno.createHttpClient({caCerts, cert, key})`. Node's fetch has neither.
 */
import { readFileSync } from "node:fs";

export interface TlsFetchOptions {
  /** PEM file paths. */
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

export type FetchFn = (input: string | URL, init?: RequestInit) => Promise<Response>;

/**
 * The platform fetch, bound to the given CA and client certificate.
 * @throws {Error} "Cannot set up TLS client: …" when a file cannot be read or the runtime has no way to pass it.
 */
export function tlsFetch(options: TlsFetchOptions | undefined): FetchFn {
  if (!options || (!options.ca && !options.cert && !options.key)) return (i, init) => fetch(i, init);
  const read = (p: string | undefined) => {
    if (!p) return undefined;
    try {
      return readFileSync(p, "utf8");
    } catch (e) {
      throw new Error(`Cannot set up TLS client: cannot read ${p}`, { cause: e });
    }
  };
  const ca = read(options.ca);
  const cert = read(options.cert);
  const key = read(options.key);
  const g = globalThis as unknown as {
    Bun?: unknown;
    Deno?: { createHttpClient(o: { caCerts?: string[]; cert?: string; key?: string }): unknown };
  };
  if (g.Bun !== undefined) {
    const tls = { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
    return (i, init) => fetch(i, { ...init, tls } as RequestInit);
  }
  if (g.Deno !== undefined) {
    const client = g.Deno.createHttpClient({ ...(ca ? { caCerts: [ca] } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) });
    return (i, init) => fetch(i, { ...init, client } as RequestInit);
  }
  throw new Error("Cannot set up TLS client: this runtime's fetch takes no CA or client certificate (use Bun or Deno)");
}
