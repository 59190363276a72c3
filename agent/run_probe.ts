/** @module Moved to probes/run_probe.ts (the probe contract's runner); this name stays for code in flight. */
export { classifyError, runProbe } from "../probes/run_probe.ts";
