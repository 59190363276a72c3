/** @module `edgeprobe version`: version, build target, runtime. */
import { detectRuntime, isCompiled, runtimeVersion } from "../runtime/detect.ts";
import type { CommandIO } from "./io.ts";

export const VERSION = "0.1.0";

declare const EDGEPROBE_TARGET: string | undefined;

export function buildTarget(): string {
  // Set with `bun build --define EDGEPROBE_TARGET=...` by scripts/build.sh.
  try {
    if (typeof EDGEPROBE_TARGET === "string") return EDGEPROBE_TARGET;
  } catch {
    // not defined in source runs
  }
  return isCompiled() ? "compiled" : "source";
}

export function versionCommand(_argv: readonly string[], io: CommandIO): Promise<number> {
  io.out(`edgeprobe ${VERSION} (target ${buildTarget()}, runtime ${runtimeVersion()}, ${detectRuntime()})\n`);
  return Promise.resolve(0);
}
