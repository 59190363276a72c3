/** @module `edgeprobe collector --config FILE` (implemented in collector/). */
import type { CommandIO } from "./io.ts";

export function collectorCommand(_argv: readonly string[], io: CommandIO): Promise<number> {
  io.err("Cannot start collector: this build has no collector yet\n");
  return Promise.resolve(1);
}
