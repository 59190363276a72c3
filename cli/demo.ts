/** @module `edgeprobe demo`. */
import type { CommandIO } from "./io.ts";

export function demoCommand(_argv: readonly string[], io: CommandIO): Promise<number> {
  io.err("Cannot start demo: this build has no demo yet\n");
  return Promise.resolve(1);
}
