/**
 * @module parseConfigText(): YAML/JSON parsed strictly with the `yaml` package, a syntax error
 * naming its line and column, a duplicate key refused. Its own file so that the agent's start
 * path, which parses with the runtime's native parser (agent/load_config.ts), loads the `yaml`
 * package (~280 KB of source) only when it needs it: for a syntax error, for `edgeprobe check`,
 * and for the duplicate-key look once the agent serves.
 */
import { parse, YAMLParseError } from "yaml";
import { ConfigError } from "./config.ts";

export function parseConfigText(text: string, source: string): unknown {
  try {
    return parse(text, { prettyErrors: true, uniqueKeys: true });
  } catch (e) {
    if (e instanceof YAMLParseError) {
      const where = e.linePos?.[0] ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : "syntax";
      throw new ConfigError(source, [`${where}: ${e.message.split("\n")[0]}`]);
    }
    throw e;
  }
}
