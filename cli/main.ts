/** @module The one binary: `edgeprobe COMMAND ...`. */
import { probeCommand } from "./probe.ts";
import { reflectCommand } from "./reflect.ts";
import { versionCommand } from "./version.ts";
import { type CommandIO, processIO } from "./io.ts";

export type Command = (argv: readonly string[], io: CommandIO) => Promise<number>;

interface CommandEntry {
  readonly summary: string;
  readonly run: () => Promise<Command>;
}

/** Commands load lazily so `edgeprobe version` and `probe` start fast. */
const COMMANDS: Record<string, CommandEntry> = {
  agent: { summary: "run the edge agent: probes, /healthz, telemetry uplink", run: async () => (await import("./agent.ts")).agentCommand },
  collector: { summary: "run the central collector: ingest, store, fleet API, dashboard", run: async () => (await import("./collector.ts")).collectorCommand },
  check: { summary: "validate a config (agent or collector); exit 0 ok, 2 invalid", run: async () => (await import("./check.ts")).checkCommand },
  probe: { summary: "run one probe and print the result", run: () => Promise.resolve(probeCommand) },
  reflect: { summary: "run a lab responder for one protocol", run: () => Promise.resolve(reflectCommand) },
  simulate: { summary: "emulate a fleet of agents sending telemetry to real collectors", run: async () => (await import("./simulate.ts")).simulateCommand },
  demo: { summary: "a collector, agents and reflectors on loopback, dashboard URL printed", run: async () => (await import("./demo.ts")).demoCommand },
  version: { summary: "print version, build target and runtime", run: () => Promise.resolve(versionCommand) },
};

export function usage(): string {
  const lines = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`);
  return `Usage: edgeprobe COMMAND [options]\n\nCommands:\n${lines.join("\n")}\n\nRun 'edgeprobe COMMAND --help' for a command's options.\n`;
}

export async function main(argv: readonly string[], io: CommandIO = processIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    io.out(usage());
    return name ? 0 : 2;
  }
  if (name === "--version") return versionCommand(rest, io);
  const entry = COMMANDS[name];
  if (!entry) {
    io.err(`Cannot run command: unknown command "${name}"\n${usage()}`);
    return 2;
  }
  const cmd = await entry.run();
  return cmd(rest, io);
}

if (import.meta.main) {
  const code = await main(process.argv.slice(2));
  process.exit(code);
}
