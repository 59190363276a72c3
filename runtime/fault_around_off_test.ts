import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { release, tmpdir } from "node:os";
import { join } from "node:path";
import { turnOffFaultAround } from "./fault_around_off.ts";
import { openLibc } from "./libc_ffi.ts";

const isBun = (globalThis as { Bun?: unknown }).Bun !== undefined;
const [major, minor] = release().split(".").map(Number);
/** UFFD_FEATURE_WP_ASYNC arrived in Linux 6.7. */
const kernelHasWpAsync = major > 6 || (major === 6 && minor >= 7);

/** Rss and VmFlags of the mapping that starts at `start`, from /proc/self/smaps. */
function mappingAt(start: bigint): { rssKb: number; flags: string[] } {
  const lines = readFileSync("/proc/self/smaps", "utf8").split("\n");
  const i = lines.findIndex((l) => l.startsWith(start.toString(16) + "-"));
  assert.ok(i >= 0, `mapping at 0x${start.toString(16)} in smaps`);
  let rssKb = -1, flags: string[] = [];
  for (let j = i + 1; j < lines.length && !/^[0-9a-f]+-/.test(lines[j]); j++) {
    const rss = /^Rss:\s+(\d+) kB/.exec(lines[j]);
    if (rss) rssKb = Number(rss[1]);
    if (lines[j].startsWith("VmFlags:")) flags = lines[j].slice(8).trim().split(/\s+/);
  }
  return { rssKb, flags };
}

describe("turnOffFaultAround", () => {
  it("does nothing without ranges, and nothing on a runtime without FFI", async () => {
    assert.equal(await turnOffFaultAround([]), 0);
    if (!isBun) assert.equal(await turnOffFaultAround([{ start: 0x10000n, end: 0x20000n }]), 0);
  });

  it("on Bun (Linux 6.7+): a read fault maps one page of a cached file instead of 64 KiB, and a second call holds no descriptor", { skip: !isBun || !kernelHasWpAsync }, async () => {
    const ffi = (await import("bun:ffi" as string)) as { read: { u8(p: number, off?: number): number } };
    const libc = (await openLibc<{ mmap(a: number, l: number, p: number, f: number, fd: number, o: number): number; munmap(a: number, l: number): number; madvise(a: number, l: number, adv: number): number }>({
      mmap: { args: ["ptr", "usize", "i32", "i32", "i32", "i64"], returns: "ptr" },
      munmap: { args: ["ptr", "usize"], returns: "i32" },
      madvise: { args: ["ptr", "usize", "i32"], returns: "i32" },
    }))!;
    const dir = mkdtempSync(join(tmpdir(), "edgeprobe-fault-around-"));
    const LEN = 1 << 20, PROT_READ = 1, MAP_PRIVATE = 2, MADV_DONTNEED = 4;
    const file = join(dir, "pages");
    writeFileSync(file, Buffer.alloc(LEN, 7));
    const fd = openSync(file, "r");
    // Two private read-only mappings of the same cached file: one left alone, one registered.
    const plain = libc.mmap(0, LEN, PROT_READ, MAP_PRIVATE, fd, 0);
    const kept = libc.mmap(0, LEN, PROT_READ, MAP_PRIVATE, fd, 0);
    try {
      assert.ok(plain > 0 && kept > 0, "mmap");
      for (const base of [plain, kept]) {
        for (let off = 0; off < LEN; off += 4096) ffi.read.u8(base, off); // every page in the cache and mapped
        assert.equal(libc.madvise(base, LEN, MADV_DONTNEED), 0);
      }
      const fdsBefore = readdirSync("/proc/self/fd").length;
      assert.equal(await turnOffFaultAround([{ start: BigInt(kept), end: BigInt(kept + LEN) }]), 1);
      assert.ok(mappingAt(BigInt(kept)).flags.includes("uw"), "VmFlags shows the userfaultfd write-protect registration");
      // One byte in the middle of a 64 KiB-aligned block, in each mapping.
      const touch = (base: number) => ffi.read.u8(Number(((BigInt(base) + 0x40000n) & ~0xffffn) + 0x8000n));
      assert.equal(touch(plain), 7);
      assert.equal(touch(kept), 7);
      const plainKb = mappingAt(BigInt(plain)).rssKb, keptKb = mappingAt(BigInt(kept)).rssKb;
      assert.equal(keptKb, 4, `registered mapping: one 4 KiB page resident, got ${keptKb} kB`);
      assert.ok(plainKb > keptKb, `the plain mapping shows fault-around: ${plainKb} kB`);
      // Registered already: EBUSY, and the new descriptor is closed again.
      assert.equal(await turnOffFaultAround([{ start: BigInt(kept), end: BigInt(kept + LEN) }]), 0);
      assert.equal(readdirSync("/proc/self/fd").length, fdsBefore + 1, "one userfaultfd descriptor in all");
    } finally {
      libc.munmap(plain, LEN);
      libc.munmap(kept, LEN);
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
