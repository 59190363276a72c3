/** @module Which runtime runs us (like Hono's getRuntimeKey). */
import type { RuntimeName } from "./types.ts";

export function detectRuntime(): RuntimeName {
  const g = globalThis as { Bun?: unknown; Deno?: unknown };
  if (g.Bun !== undefined) return "bun";
  if (g.Deno !== undefined) return "deno";
  return "node";
}

export function runtimeVersion(): string {
  const g = globalThis as { Bun?: { version: string }; Deno?: { version: { deno: string } } };
  if (g.Bun) return `bun ${g.Bun.version}`;
  if (g.Deno) return `deno ${g.Deno.version.deno}`;
  return `node ${typeof process !== "undefined" ? process.version : "?"}`;
}

/** True inside a `bun build --compile` binary. */
export function isCompiled(): boolean {
  const g = globalThis as { Bun?: { main?: string } };
  return Boolean(g.Bun?.main?.startsWith("/$bunfs/"));
}
