/**
 * @module restoreJit(): the JavaScriptCore JIT back at its normal tier-up thresholds for this
 * thread. The executable is built with `--compile-jit-policy=10000` (scripts/build.sh) because
 * the agent's light JavaScript around native sockets runs as well in the interpreter and the JIT
 * tiers were ~20 MiB of its RSS (docs/binary.md). The collector, the simulator and the demo are
 * heavy in JavaScript (decoding, aggregation, SQLite row mapping), so each calls this first, and
 * so does every Worker they start (each thread has its own VM and starts with the baked scale).
 * Bun only (`Bun.unsafe.setJITPolicy`, Bun 1.4); on Deno and from source nothing to undo.
 */
export function restoreJit(): void {
  const bun = (globalThis as { Bun?: { unsafe?: { setJITPolicy?: (scale: number) => void } } }).Bun;
  bun?.unsafe?.setJITPolicy?.(1);
}
