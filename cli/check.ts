/** @module `edgeprobe check --config FILE`. */
import type { CommandIO } from "./io.ts";

export function checkCommand(_argv: readonly string[], io: CommandIO): Promise<number> {
  io.err("Cannot check: not built yet\n");
  return Promise.resolve(1);
}
