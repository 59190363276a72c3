/** @module `edgeprobe probe KIND TARGET [--option value ...] [--json]`: one run, printed. */
import { duration } from "../common/duration.ts";
import { formatIssues } from "../common/zod_issues.ts";
import { runProbe } from "../probes/mod.ts";
import { probeKinds } from "../probes/mod.ts";
import { nodeNet } from "../runtime/node_net.ts";
import { systemClock } from "../runtime/clock.ts";
import { stderrLogger } from "../common/log.ts";
import { coerceFlagValue, parseArgs } from "./args.ts";
import { probeKindUsage } from "./probe_help.ts";
import type { CommandIO } from "./io.ts";

const GENERAL = ["json", "timeout", "interval", "sourceAddress", "help", "h", "verbose"];

export function probeUsage(): string {
  const kinds = Object.values(probeKinds).map((k) => `  ${k.kind.padEnd(9)} ${k.summary}`).join("\n");
  return `Usage: edgeprobe probe KIND TARGET [--option value ...] [--json]

Runs one probe and prints the result. Exit 0 ok, 1 probe failed, 2 usage.

General options:
  --json                 print one JSON object
  --timeout DURATION     whole-run budget, retransmissions included (default 2s)
  --source-address ADDR  local address to bind
  --verbose              log protocol details to stderr

Kinds:
${kinds}

Per-kind options are the keys of that kind's config \`options\` (docs/config.md), written
as --kebab-case flags, e.g. --origin-host probe.example. 'edgeprobe probe KIND --help' lists
them with their defaults and an example.`;
}

export async function probeCommand(argv: readonly string[], io: CommandIO): Promise<number> {
  const { positionals, flags } = parseArgs(argv);
  if (flags.help || flags.h) {
    const kind = positionals.length === 1 ? probeKinds[positionals[0]] : undefined;
    if (positionals.length === 1 && !kind) {
      io.err(`Cannot show help: unknown kind "${positionals[0]}" (known: ${Object.keys(probeKinds).join(", ")})\n`);
      return 2;
    }
    io.out(kind ? probeKindUsage(kind) : probeUsage() + "\n");
    return 0;
  }
  const [kindName, target] = positionals;
  if (!kindName || !target || positionals.length > 2) {
    io.err(`Cannot run probe: expected KIND and TARGET, got ${JSON.stringify(positionals)}\n${probeUsage()}\n`);
    return 2;
  }
  const kind = probeKinds[kindName];
  if (!kind) {
    io.err(`Cannot run probe: unknown kind "${kindName}" (known: ${Object.keys(probeKinds).join(", ")})\n`);
    return 2;
  }
  const timeout = duration.safeParse(flags.timeout === undefined ? "2s" : String(flags.timeout));
  if (!timeout.success) {
    io.err(`Cannot run probe: --timeout: expected a duration such as 2s, got ${JSON.stringify(flags.timeout)}\n`);
    return 2;
  }
  const interval = duration.safeParse(flags.interval === undefined ? "5s" : String(flags.interval));
  if (!interval.success) {
    io.err(`Cannot run probe: --interval: expected a duration such as 5s, got ${JSON.stringify(flags.interval)}\n`);
    return 2;
  }
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(flags)) if (!GENERAL.includes(k)) raw[k] = coerceFlagValue(v);
  const parsed = kind.options.safeParse(raw);
  if (!parsed.success) {
    const lines = formatIssues(parsed.error, raw).map((l) => `Cannot run probe: --${l.replace(/^(\w+)/, (m) => m.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase()))}`);
    io.err(lines.join("\n") + "\n");
    return 2;
  }
  const log = flags.verbose ? stderrLogger("debug") : () => {};
  let instance;
  try {
    instance = kind.create({
      name: `${kindName}-cli`,
      target,
      intervalMs: interval.data,
      timeoutMs: timeout.data,
      sourceAddress: typeof flags.sourceAddress === "string" ? flags.sourceAddress : undefined,
      options: parsed.data,
    }, { net: nodeNet, now: () => Date.now(), log });
  } catch (e) {
    io.err(`Cannot run probe: ${(e as Error).message}\n`);
    return 2;
  }
  const result = await runProbe(instance, timeout.data, systemClock);
  await instance.close(AbortSignal.timeout(1000)).catch(() => {});
  if (flags.json) {
    io.out(JSON.stringify({
      ok: result.ok,
      kind: result.failure?.kind ?? null,
      latencyMs: result.latencyMs,
      probe: kindName,
      target,
      ...(result.failure ? { failure: result.failure } : {}),
      facts: result.facts ?? {},
      ...(result.events?.length ? { events: result.events } : {}),
    }) + "\n");
  } else {
    const facts = Object.entries(result.facts ?? {}).map(([k, v]) => `${k}=${v}`).join(" ");
    const head = result.ok
      ? `OK ${kindName} ${target} ${result.latencyMs.toFixed(3)}ms`
      : `FAIL ${kindName} ${target} ${result.failure?.kind}: ${result.failure?.message}${result.failure?.reason ? ` (${result.failure.reason})` : ""}`;
    io.out(`${head}${facts ? "  " + facts : ""}\n`);
    for (const ev of result.events ?? []) io.out(`  event ${ev.type} ${JSON.stringify(ev.detail)}\n`);
  }
  return result.ok ? 0 : 1;
}
