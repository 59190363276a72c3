/**
 * @module Give back the executable's start-up-only pages: `madvise(MADV_DONTNEED)` on the
 * process's read-only mappings of its own executable file, once it has started.
 *
 * Why (measured on the compiled agent with 200 probes, Bun 1.4.5, docs/benchmarks.md "RSS"):
 * VmRSS was 84 MiB, of which 49 MiB were pages of the ~110 MB executable that start-up touched
 * (the runtime's code, the JIT compilers, the built-in modules' sources). Clearing the
 * referenced bits (`/proc/PID/clear_refs`) and looking 5 s later showed the idle agent using
 * 4.9 of the 34.9 MiB of its text mapping and 1.1 of the 6.1 MiB of its read-only data.
 *
 * Safety: only mappings without write permission, of the executable file (`/proc/self/exe`),
 * with no private copy-on-write pages (`Anonymous: 0 kB` in `/proc/self/smaps`). For such a
 * private file mapping MADV_DONTNEED drops the page-table entries only (madvise(2): later
 * accesses repopulate the pages "from the up-to-date contents of the underlying mapped file");
 * the page cache keeps the pages, so a page needed again costs a minor fault, and no data can
 * be lost because a read-only mapping holds none of its own. Writable mappings (.data, heaps)
 * are never touched.
 *
 * Bun only (through `bun:ffi`, which calls libc's `madvise`); elsewhere it does nothing.
 */
import { readFileSync, realpathSync } from "node:fs";
import { turnOffFaultAround } from "./fault_around_off.ts";
import { openLibc } from "./libc_ffi.ts";

/** madvise(2) advice value on Linux (include/uapi/asm-generic/mman-common.h). */
const MADV_DONTNEED = 4;
/** Linux 5.4+: reclaim the range now; private pages without swap stay, clean file pages go. */
const MADV_PAGEOUT = 21;

export interface CodeMapping {
  readonly start: bigint;
  readonly end: bigint;
  readonly perms: string;
  readonly path: string;
  /** Private (copy-on-write) pages of the mapping, in kB. */
  readonly anonymousKb: number;
  readonly rssKb: number;
}

/** Parse `/proc/PID/smaps` text into mappings with their Rss and Anonymous figures. */
export function parseSmaps(text: string): CodeMapping[] {
  const out: CodeMapping[] = [];
  let cur: { start: bigint; end: bigint; perms: string; path: string; anonymousKb: number; rssKb: number } | undefined;
  for (const line of text.split("\n")) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      if (cur) out.push(cur);
      cur = { start: BigInt("0x" + head[1]), end: BigInt("0x" + head[2]), perms: head[3], path: head[4], anonymousKb: 0, rssKb: 0 };
      continue;
    }
    const field = /^(Rss|Anonymous):\s+(\d+) kB/.exec(line);
    if (field && cur) {
      if (field[1] === "Rss") cur.rssKb = Number(field[2]);
      else cur.anonymousKb = Number(field[2]);
    }
  }
  if (cur) out.push(cur);
  return out;
}

/** The mappings it is safe to drop: read-only, backed by `exe`, no private pages, resident. */
export function releasableMappings(mappings: readonly CodeMapping[], exe: string): CodeMapping[] {
  return mappings.filter((m) => m.path === exe && !m.perms.includes("w") && m.perms[3] === "p" && m.anonymousKb === 0 && m.rssKb > 0);
}

type Madvise = (addr: number, len: number, advice: number) => number;

export interface Released {
  /** kB that were resident in the read-only mappings dropped. */
  readonly droppedKb: number;
  /** kB resident in the writable mappings handed to reclaim (only their clean file pages go). */
  readonly pagedOutKb: number;
  /** Read-only mappings newly kept from fault-around (runtime/fault_around_off.ts); 0 where refused or done before. */
  readonly faultAroundOff: number;
}

/**
 * Drop the resident pages of the executable's read-only mappings (MADV_DONTNEED) and ask the
 * kernel to reclaim the clean pages of its writable ones (MADV_PAGEOUT, Linux 5.4+: private
 * pages it cannot swap stay, so nothing is lost; on older kernels the call fails and is
 * skipped). Resolves with zeros where the runtime has no FFI or there is no /proc.
 */
export async function releaseCodePages(): Promise<Released> {
  const none = { droppedKb: 0, pagedOutKb: 0, faultAroundOff: 0 };
  let mappings: CodeMapping[];
  let exe: string;
  try {
    mappings = parseSmaps(readFileSync("/proc/self/smaps", "utf8"));
    exe = realpathSync("/proc/self/exe");
  } catch {
    return none;
  }
  const dropped = releasableMappings(mappings, exe);
  const reclaimed = mappings.filter((m) => m.path === exe && m.perms.includes("w") && m.rssKb > 0);
  if (!dropped.length && !reclaimed.length) return none;
  const madvise = (await openLibc<{ madvise: Madvise }>({ madvise: { args: ["ptr", "usize", "i32"], returns: "i32" } }).catch(() => undefined))?.madvise;
  if (!madvise) return none;
  // First, so the pages that come back after the drop are the ones the agent runs and not the
  // 64 KiB around each (measured: 2.4 instead of 16-20 MiB of code; fault_around_off.ts).
  const faultAroundOff = await turnOffFaultAround(dropped).catch(() => 0);
  let droppedKb = 0;
  let pagedOutKb = 0;
  for (const m of dropped) {
    if (madvise(Number(m.start), Number(m.end - m.start), MADV_DONTNEED) === 0) droppedKb += m.rssKb;
  }
  for (const m of reclaimed) {
    if (madvise(Number(m.start), Number(m.end - m.start), MADV_PAGEOUT) === 0) pagedOutKb += m.rssKb;
  }
  return { droppedKb, pagedOutKb, faultAroundOff };
}
