/** @module Read a config file (YAML or JSON; JSON is YAML 1.2) and hand it to a validator. */
import { readFile } from "node:fs/promises";
import { nativeYamlParser } from "../runtime/native_yaml.ts";
import { ConfigError } from "./config.ts";

/** The strict parser (the `yaml` package), loaded on first use: the agent starts without it. */
const strict = () => import("./strict_yaml.ts");

export interface ConfigFile {
  readonly text: string;
  readonly doc: unknown;
  /** True when the document came from the runtime's fast parser, whose duplicate keys are unchecked. */
  readonly fast: boolean;
}

async function readText(path: string, signal?: AbortSignal): Promise<string> {
  try {
    return await readFile(path, { encoding: "utf8", signal });
  } catch (e) {
    throw new ConfigError(path, [`cannot read the file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`]);
  }
}

/** Read and parse strictly (`edgeprobe check`, the collector). */
export async function readConfigFile(path: string, signal?: AbortSignal): Promise<unknown> {
  const text = await readText(path, signal);
  return (await strict()).parseConfigText(text, path);
}

/**
 * Read and parse for starting the agent: with the runtime's native parser when there is one
 * (a syntax error still goes through the strict parser, for its line and column), else strictly.
 * Call `duplicateKeyProblems` later, off the start path, to find duplicate keys.
 */
export async function readConfigFileFast(path: string, signal?: AbortSignal): Promise<ConfigFile> {
  const text = await readText(path, signal);
  const native = nativeYamlParser();
  if (native) {
    try {
      return { text, doc: native(text) ?? {}, fast: true };
    } catch {
      // fall through: the strict parser names the line and column
    }
  }
  return { text, doc: (await strict()).parseConfigText(text, path), fast: false };
}

/** Problems the strict parser finds in text the fast parser accepted (duplicate keys). */
export async function duplicateKeyProblems(file: ConfigFile, source: string): Promise<string[]> {
  if (!file.fast) return [];
  const { parseConfigText } = await strict();
  try {
    parseConfigText(file.text, source);
    return [];
  } catch (e) {
    return e instanceof ConfigError ? [...e.problems] : [String(e)];
  }
}
