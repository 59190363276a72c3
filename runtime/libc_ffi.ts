/**
 * @module openLibc(): the C library's functions through `bun:ffi`, for the few Linux calls
 * Node's API has no door to (madvise, userfaultfd). Tries glibc first, then the musl loader's
 * names (the musl build). Bun only; resolves undefined elsewhere or when no libc opens.
 */

/** Linux libc sonames to try, glibc first (the musl build's loader names its libc this way). */
const LIBCS = ["libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1"];

export type FfiSignatures = Record<string, { args: string[]; returns: string }>;

export async function openLibc<T>(symbols: FfiSignatures): Promise<T | undefined> {
  if (!(globalThis as { Bun?: unknown }).Bun) return undefined;
  const spec = "bun:ffi";
  const ffi = (await import(spec)) as { dlopen(lib: string, symbols: FfiSignatures): { symbols: unknown } };
  for (const lib of LIBCS) {
    try {
      return ffi.dlopen(lib, symbols).symbols as T;
    } catch {
      // not this libc
    }
  }
  return undefined;
}
