/**
 * @module Batches the collector refused for good (400, 403): kept aside in `<spool>/quarantine/`
 * for the operator, bounded in count, so one bad batch never blocks the stream behind it.
 * File name: `<bootId>-<firstSeq>-<lastSeq>-<reason>.cbor`, the exact body that was refused.
 */
import * as fs from "node:fs";
import { join } from "node:path";

/** At most this many refused batches are kept; the oldest goes first. At 500 records × ~50 B, about 400 KB. */
export const QUARANTINE_FILES = 16;

/** The problem+json `type` slug of a refusal ("malformed-batch"), or `http-<status>` when the body has none. */
export function refusalReason(status: number, body: string): string {
  try {
    const t = (JSON.parse(body) as { type?: unknown }).type;
    if (typeof t === "string" && t.length > 0) {
      const slug = t.slice(t.lastIndexOf("/") + 1).replace(/[^A-Za-z0-9_.-]/g, "").slice(0, 64);
      if (slug) return slug;
    }
  } catch { /* not problem+json */ }
  return `http-${status}`;
}

/**
 * Write a refused batch into `dir` and prune to QUARANTINE_FILES.
 * @returns the file written, or undefined when the disk refused it (the batch is dropped all the same).
 */
export function quarantineBatch(dir: string, name: { bootId: string; first: number; last: number; reason: string }, body: Uint8Array): string | undefined {
  try {
    fs.mkdirSync(dir, { recursive: true });
    const safeBoot = name.bootId.replace(/[^A-Za-z0-9_.-]/g, "").slice(0, 64);
    const path = join(dir, `${safeBoot}-${name.first}-${name.last}-${name.reason}.cbor`);
    fs.writeFileSync(path, body);
    // Oldest first: by mtime, and within one mtime tick by the batch's first seq.
    const firstSeq = (n: string) => Number(/-(\d+)-\d+-[^-]*\.cbor$/.exec(n)?.[1] ?? 0);
    const files = fs.readdirSync(dir).filter((n) => n.endsWith(".cbor"))
      .map((n) => ({ n, t: fs.statSync(join(dir, n)).mtimeMs }))
      .sort((a, b) => a.t - b.t || firstSeq(a.n) - firstSeq(b.n));
    for (const f of files.slice(0, Math.max(0, files.length - QUARANTINE_FILES))) fs.rmSync(join(dir, f.n), { force: true });
    return path;
  } catch {
    return undefined;
  }
}
