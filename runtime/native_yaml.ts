/**
 * @module The runtime's own YAML parser, when it has one (Bun.YAML, native code).
 *
 * Measured on Bun 1.4.5: a 200-probe config takes 1.4-1.8 ms here against 60-120 ms in the
 * `yaml` package, which was most of the compiled agent's start-to-first-200 (docs/benchmarks.md).
 * It keeps the last of duplicate keys silently, so callers that must refuse duplicates use the
 * `yaml` package (agent/load_config.ts).
 */

type YamlParse = (text: string) => unknown;

/** Bun's native YAML.parse, or undefined on runtimes without one. */
export function nativeYamlParser(): YamlParse | undefined {
  const g = globalThis as { Bun?: { YAML?: { parse?: YamlParse } } };
  const parse = g.Bun?.YAML?.parse;
  return typeof parse === "function" ? (text) => parse.call(g.Bun!.YAML, text) : undefined;
}
