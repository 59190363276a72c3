/** @module `edgeprobe check --config FILE`: validate an agent or collector config. */
import { ConfigError } from "../agent/config.ts";
import { loadAgentConfig } from "./agent.ts";
import { parseArgs } from "./args.ts";
import type { CommandIO } from "./io.ts";
import { readConfigFile } from "../agent/load_config.ts";
import { CollectorConfigError, parseCollectorConfig } from "../collector/mod.ts";

export const CHECK_USAGE = `Usage: edgeprobe check --config FILE

Validates an agent or collector config. A document with any of the collector's own top-level
keys (auth, store, retention, staleAfter, h2cListen) and no agent keys (agent, probes, server)
is checked as a collector config. Prints every problem with its field path and value.
Exit 0 valid, 2 invalid.
`;

const COLLECTOR_KEYS = ["auth", "store", "retention", "staleAfter", "h2cListen"];
const AGENT_KEYS = ["agent", "probes", "server"];

export function isCollectorConfig(doc: unknown): boolean {
  if (!doc || typeof doc !== "object") return false;
  const keys = Object.keys(doc);
  return keys.some((k) => COLLECTOR_KEYS.includes(k)) && !keys.some((k) => AGENT_KEYS.includes(k));
}

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
    if (isCollectorConfig(doc)) {
      const c = parseCollectorConfig(doc, io.env, path);
      io.out(`${path}: valid collector config: listen ${c.listen.hostname}:${c.listen.port}, store ${c.store.kind === "sqlite" ? `sqlite ${c.store.path}` : `jetstream ${c.store.servers.join(",")}`}\n`);
      return 0;
    }
    const cfg = await loadAgentConfig(path, io.env);
    io.out(`${path}: valid agent config for ${cfg.agent.id}: ${cfg.probes.length} probe(s) (${cfg.probes.map((p) => `${p.name}/${p.kind}`).join(", ") || "none"})\n`);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError || e instanceof CollectorConfigError) {
      io.err(e.message + "\n");
      return 2;
    }
    io.err(`Cannot check config ${path}: ${(e as Error).message}\n`);
    return 2;
  }
}
