/** @module `edgeprobe agent --config FILE`. */
import type { CommandIO } from "./io.ts";

export function agentCommand(_argv: readonly string[], io: CommandIO): Promise<number> {
  io.err("Cannot start agent: not built yet\n");
  return Promise.resolve(1);
}
