/** @module The `edgeprobe` command line: one file per command, loaded lazily by main.ts. */
export { type Command, main, usage } from "./main.ts";
export type { CommandIO } from "./io.ts";
