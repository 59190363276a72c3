/**
 * @module trimMemory(): once the agent has started, give back what only start-up needed. A full
 * garbage collection (the config parse, the schemas' work and the first probe round leave
 * garbage the heap would otherwise keep its room for), then the executable's start-up-only
 * pages (runtime/release_code_pages.ts).
 *
 * Measured on the compiled agent with 200 probes, Bun 1.4.5 (docs/benchmarks.md "RSS"): the
 * collection took RssAnon from ~36 to ~26 MiB, the pages 43 MiB of file-backed RSS. With the
 * kernel's fault-around on, ~20 MiB of code came back within seconds (the ~2.4 MiB the running
 * agent uses, mapped 64 KiB at a time); runtime/fault_around_off.ts turns it off for those
 * mappings where the kernel allows (Linux 6.7+), and then only the code that runs comes back.
 * It blocks the JavaScript thread once for ~10-20 ms.
 *
 * Bun only; on other runtimes it does nothing.
 */
import process from "node:process";
import { releaseCodePages, type Released } from "./release_code_pages.ts";

export interface Trimmed extends Released {
  /** The process's VmRSS in kB before and after (0 without /proc). */
  readonly rssBeforeKb: number;
  readonly rssAfterKb: number;
}

function vmRssKb(): number {
  try {
    return Math.round(process.memoryUsage.rss() / 1024);
  } catch {
    return 0;
  }
}

export async function trimMemory(): Promise<Trimmed> {
  const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
  if (!bun) return { droppedKb: 0, pagedOutKb: 0, faultAroundOff: 0, rssBeforeKb: 0, rssAfterKb: 0 };
  const rssBeforeKb = vmRssKb();
  bun.gc(true);
  const released = await releaseCodePages();
  return { ...released, rssBeforeKb, rssAfterKb: vmRssKb() };
}
