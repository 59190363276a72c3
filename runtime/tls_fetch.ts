/**
 * @module A `fetch` that trusts a private CA and presents a client certificate (mTLS).
 *
 * Bun takes `tls: {ca, cert, key}` in fetch's init (https://bun.sh/docs/api/fetch#tls); Deno
 * takes a `client` from `Deno.createHttpClient({caCerts, cert, key})`. Node's fetch has neither.
 */
import { readPem } from "../common/pem.ts";

export interface TlsFetchOptions {
  /** PEM file paths. */
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

export type FetchFn = (input: string | URL, init?: RequestInit) => Promise<Response>;

/**
 * The platform fetch, bound to the given CA and client certificate.
 * @throws {Error} "Cannot read TLS ca file …" (common/pem.ts) when a file cannot be read;
 *   "Cannot set up TLS client: …" when the runtime has no way to pass it.
 */
export function tlsFetch(options: TlsFetchOptions | undefined): FetchFn {
  if (!options || (!options.ca && !options.cert && !options.key)) return (i, init) => fetch(i, init);
  const ca = options.ca ? readPem(options.ca, "TLS ca") : undefined;
  const cert = options.cert ? readPem(options.cert, "TLS cert") : undefined;
  const key = options.key ? readPem(options.key, "TLS key") : undefined;
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
