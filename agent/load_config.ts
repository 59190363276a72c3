/** @module Read a config file (YAML or JSON; JSON is YAML 1.2) and hand it to a validator. */
import { readFile } from "node:fs/promises";
import { parse, YAMLParseError } from "yaml";
import { ConfigError } from "./config.ts";

/** Parse YAML/JSON text; a syntax error names the line and column. */
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

export async function readConfigFile(path: string, signal?: AbortSignal): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, { encoding: "utf8", signal });
  } catch (e) {
    throw new ConfigError(path, [`cannot read the file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`]);
  }
  return parseConfigText(text, path);
}
