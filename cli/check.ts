/** @module `edgeprobe check --config FILE`: validate an agent or collector config. */
import { ConfigError } from "../agent/config.ts";
import { loadAgentConfig } from "./agent.ts";
import { parseArgs } from "./args.ts";
import type { CommandIO } from "./io.ts";
import { readConfigFile } from "../agent/load_config.ts";

export const CHECK_USAGE = `Usage: edgeprobe check --config FILE

Validates an agent or collector config (a document with a top-level "collector:" key is a
collector config). Prints every problem with its field path and value.
Exit 0 valid, 2 invalid.
`;

/** Collector configs are recognised by their top-level key; their validator registers here. */
export const collectorValidators: { validate?: (doc: unknown, source: string, env: CommandIO["env"]) => Promise<string> } = {};

export async function checkCommand(argv: readonly string[], io: CommandIO): Promise<number> {
  const { positionals, flags } = parseArgs(argv);
  if (flags.help || flags.h) {
    io.out(CHECK_USAGE);
    return 0;
  }
  const path = typeof flags.config === "string" ? flags.config : positionals[0];
  if (!path) {
    io.err(`Cannot check config: --config FILE is required\n${CHECK_USAGE}`);
    return 2;
  }
  try {
    const doc = await readConfigFile(path);
    if (doc && typeof doc === "object" && "collector" in doc && collectorValidators.validate) {
      io.out(await collectorValidators.validate(doc, path, io.env) + "\n");
      return 0;
    }
    const cfg = await loadAgentConfig(path, io.env);
    io.out(`${path}: valid agent config for ${cfg.agent.id}: ${cfg.probes.length} probe(s) (${cfg.probes.map((p) => `${p.name}/${p.kind}`).join(", ") || "none"})\n`);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) {
      io.err(e.message + "\n");
      return 2;
    }
    io.err(`Cannot check config ${path}: ${(e as Error).message}\n`);
    return 2;
  }
}
