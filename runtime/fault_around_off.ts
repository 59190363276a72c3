/**
 * @module turnOffFaultAround(): stop the kernel from mapping 64 KiB around every read fault in
 * the given address ranges (the executable's read-only mappings), so that after
 * runtime/release_code_pages.ts drops them only the pages the agent really runs come back.
 *
 * Why: on a read fault in a file mapping Linux maps up to `fault_around_bytes` (64 KiB) of
 * neighbouring pages that are already in the page cache (mm/memory.c `do_fault_around`). The
 * executable's pages stay in the page cache (and on Linux 6.x most sit in large folios, which
 * neither MADV_PAGEOUT nor POSIX_FADV_DONTNEED can evict while any page of them is mapped), so
 * the idle agent's ~2.4 MiB of running code came back as ~16-20 MiB of resident code: measured
 * on Linux 6.18 with 200 probes, 163 of 179 resident 64 KiB blocks full (docs/benchmarks.md).
 *
 * How: mm/memory.c `should_fault_around()` skips fault-around for a VMA registered with a
 * userfaultfd in write-protect mode (`uffd_disable_fault_around`, include/linux/userfaultfd_k.h).
 * We register in the asynchronous write-protect mode (UFFD_FEATURE_WP_ASYNC, Linux 6.7+:
 * the kernel resolves a write-protect fault itself, no thread has to answer) and never
 * write-protect anything; the mappings are read-only, so no write fault can happen at all. The
 * descriptor is opened with UFFD_USER_MODE_ONLY (Linux 5.11+), which an unprivileged process
 * may use when `vm.unprivileged_userfaultfd` is 0 (userfaultfd(2)), and stays open for the
 * life of the process (closing it unregisters the ranges). A range already registered (a second
 * call, after a reload) answers EBUSY; a descriptor that registered nothing is closed again, so
 * repeated calls hold one descriptor at most.
 *
 * Where the kernel, a seccomp filter (e.g. Docker's default profile) or the architecture
 * refuses, it returns 0 and nothing changes: fault-around stays on and only RSS is larger.
 * Bun only (through `bun:ffi`); elsewhere it returns 0.
 */
import process from "node:process";
import { openLibc } from "./libc_ffi.ts";

/** userfaultfd(2) system call numbers (arch/x86/entry/syscalls/syscall_64.tbl, include/uapi/asm-generic/unistd.h). */
const SYS_USERFAULTFD: Record<string, number> = { x64: 323, arm64: 282 };
/** include/uapi/linux/userfaultfd.h */
const UFFD_USER_MODE_ONLY = 1;
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
const UFFD_API = 0xaan;
const UFFD_FEATURE_WP_ASYNC = 1n << 15n;
const UFFDIO_REGISTER_MODE_WP = 2n;
/** _IOWR(0xAA, 0x3F, struct uffdio_api) and _IOWR(0xAA, 0x00, struct uffdio_register): 24 and 32 bytes. */
const UFFDIO_API = 0xc018aa3fn;
const UFFDIO_REGISTER = 0xc020aa00n;

export interface AddressRange {
  readonly start: bigint;
  readonly end: bigint;
}

interface Uffd {
  syscall(nr: number, flags: number): number | bigint;
  ioctl(fd: number, request: bigint, arg: unknown): number;
  close(fd: number): number;
}

/** Register `ranges` with a new write-protect-async userfaultfd; resolves with how many were registered. */
export async function turnOffFaultAround(ranges: readonly AddressRange[]): Promise<number> {
  const nr = SYS_USERFAULTFD[process.arch];
  if (!ranges.length || nr === undefined || !(globalThis as { Bun?: unknown }).Bun) return 0;
  const spec = "bun:ffi";
  const ffi = (await import(spec)) as { ptr(view: ArrayBufferView): unknown };
  const libc = await openLibc<Uffd>({
    syscall: { args: ["i64", "i64"], returns: "i64" },
    ioctl: { args: ["i32", "u64", "ptr"], returns: "i32" },
    close: { args: ["i32"], returns: "i32" },
  });
  if (!libc) return 0;
  const fd = Number(libc.syscall(nr, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY));
  if (fd < 0) return 0;
  // struct uffdio_api { __u64 api; __u64 features; __u64 ioctls; }: fails (EINVAL) on kernels without WP_ASYNC.
  const api = new BigUint64Array([UFFD_API, UFFD_FEATURE_WP_ASYNC, 0n]);
  let registered = 0;
  if (libc.ioctl(fd, UFFDIO_API, ffi.ptr(api)) === 0) {
    for (const r of ranges) {
      // struct uffdio_register { struct uffdio_range { __u64 start, len; } range; __u64 mode; __u64 ioctls; }
      const reg = new BigUint64Array([r.start, r.end - r.start, UFFDIO_REGISTER_MODE_WP, 0n]);
      if (libc.ioctl(fd, UFFDIO_REGISTER, ffi.ptr(reg)) === 0) registered++;
    }
  }
  if (!registered) libc.close(fd);
  return registered;
}
